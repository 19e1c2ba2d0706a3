package nakamatest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// cronSchedule is a leaderboard or tournament reset schedule, in the cron
// dialect the real server accepts: five fields (minute, hour, day of month,
// month, day of week), six (a year appended) or seven (a second prepended),
// with *, ?, lists, ranges, steps, month and weekday names, L, W, LW, 5L and
// 5#3, and the @yearly, @annually, @monthly, @weekly, @daily and @hourly
// shorthands. Times are UTC and whole seconds; years run from 1970 to 2099.
type cronSchedule struct {
	seconds, minutes, hours, months [60]bool
	years                           map[int]bool

	domRestricted bool
	dom           [32]bool // plain days of month
	domWorkdays   [32]bool // "15W": the weekday nearest the 15th
	domLast       bool     // "L"
	domLastWork   bool     // "LW"

	dowRestricted bool
	dow           [7]bool  // plain weekdays, Sunday = 0
	dowLast       [7]bool  // "5L": the month's last Friday
	dowNth        [35]bool // "5#3": (n-1)*7 + weekday
}

const (
	cronFirstYear = 1970
	cronLastYear  = 2099
)

// cronShorthands expand anywhere in the expression, as on the server.
var cronShorthands = strings.NewReplacer(
	"@yearly", "0 0 0 1 1 * *",
	"@annually", "0 0 0 1 1 * *",
	"@monthly", "0 0 0 1 * * *",
	"@weekly", "0 0 0 * * 0 *",
	"@daily", "0 0 0 * * * *",
	"@hourly", "0 0 * * * * *",
)

// cronField describes the values one field takes.
type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	cronSecond = cronField{name: "second", min: 0, max: 59}
	cronMinute = cronField{name: "minute", min: 0, max: 59}
	cronHour   = cronField{name: "hour", min: 0, max: 23}
	cronDOM    = cronField{name: "day-of-month", min: 1, max: 31}
	cronMonth  = cronField{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
		"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
		"sep": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
	}}
	// Weekday 7 is another name for Sunday, 0, also as the end of a range:
	// so "5-7" is a reversed range, as on the server.
	cronDOW = cronField{name: "day-of-week", min: 0, max: 6, names: map[string]int{
		"sun": 0, "sunday": 0, "mon": 1, "monday": 1, "tue": 2, "tuesday": 2, "wed": 3, "wednesday": 3,
		"thu": 4, "thursday": 4, "fri": 5, "friday": 5, "sat": 6, "saturday": 6,
	}}
	cronYear = cronField{name: "year", min: cronFirstYear, max: cronLastYear}
)

var (
	cronNumber = regexp.MustCompile(`^[0-9]{1,4}$`)
	cronStep   = regexp.MustCompile(`^[0-9]{1,2}$`)
)

// value parses one value of the field: a number in range (with at most one
// leading zero, as the server's patterns allow) or a name.
func (f cronField) value(s string) (int, bool) {
	if v, ok := f.names[s]; ok {
		return v, true
	}
	if !cronNumber.MatchString(s) {
		return 0, false
	}
	if len(s) > 1 && s[0] == '0' && (len(s) > 2 || f.max > 99) {
		return 0, false
	}
	if len(s) == 2 && s[0] == '0' && f.names != nil {
		// The server looks such values up as names and finds none: a
		// weekday becomes Sunday, and a month would never match, which
		// nakamatest refuses instead.
		return 0, f.name == "day-of-week"
	}
	v, _ := strconv.Atoi(s)
	if f.name == "day-of-week" && v == 7 {
		return 0, true
	}
	if v < f.min || v > f.max {
		return 0, false
	}
	return v, true
}

// entry is one comma-separated part of a field: "*" (all), a value, a
// range, each optionally with a step.
type cronEntry struct {
	all         bool
	first, last int
	step        int
}

var errCronSyntax = errors.New("syntax error")

func (f cronField) entry(s string) (cronEntry, error) {
	if s == "*" || s == "?" {
		return cronEntry{all: true, first: f.min, last: f.max, step: 1}, nil
	}
	body, stepText, hasStep := strings.Cut(s, "/")
	e := cronEntry{step: 1}
	if hasStep {
		if !cronStep.MatchString(stepText) {
			return e, fmt.Errorf("invalid interval %s", s)
		}
		// Steps read like plain numbers, so they stop at 59 even for years.
		e.step, _ = strconv.Atoi(stepText)
		if e.step < 1 || e.step > f.max || e.step > 59 {
			return e, fmt.Errorf("invalid interval %s", s)
		}
	}
	switch lo, hi, isRange := strings.Cut(body, "-"); {
	case body == "*" && hasStep:
		e.first, e.last = f.min, f.max
	case isRange:
		a, ok1 := f.value(lo)
		b, ok2 := f.value(hi)
		if !ok1 || !ok2 || a > b {
			// A reversed range matches nothing on the server, which then
			// fails at its first use; refusing it up front is kinder.
			return e, errCronSyntax
		}
		e.first, e.last = a, b
	default:
		v, ok := f.value(body)
		if !ok {
			return e, errCronSyntax
		}
		e.first, e.last = v, v
		if hasStep {
			e.last = f.max
		}
	}
	return e, nil
}

// list parses a plain field into the set of values it matches.
func (f cronField) list(s string, set []bool) error {
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		if _, err := f.add(part, set); err != nil {
			return err
		}
	}
	return nil
}

// add parses one entry of the field into set, which holds the values from
// f.min on, and reports whether the entry was "*" or "?".
func (f cronField) add(part string, set []bool) (bool, error) {
	e, err := f.entry(part)
	if err != nil {
		return false, fmt.Errorf("syntax error in %s field: '%s'", f.name, part)
	}
	for v := e.first; v <= e.last; v += e.step {
		set[v-f.min] = true
	}
	return e.all, nil
}

// parseCron parses a reset schedule. The error texts do not reach clients:
// the runtime reports any failure as an invalid CRON expression.
func parseCron(expr string) (*cronSchedule, error) {
	fields := strings.Fields(cronShorthands.Replace(strings.ToLower(expr)))
	if len(fields) < 5 {
		return nil, errors.New("missing field(s)")
	}
	if len(fields) > 7 {
		fields = fields[:7]
	}
	c := &cronSchedule{years: map[int]bool{}}
	if len(fields) == 7 {
		if err := cronSecond.list(fields[0], c.seconds[:]); err != nil {
			return nil, err
		}
		fields = fields[1:]
	} else {
		c.seconds[0] = true
	}
	if err := cronMinute.list(fields[0], c.minutes[:]); err != nil {
		return nil, err
	}
	if err := cronHour.list(fields[1], c.hours[:24]); err != nil {
		return nil, err
	}
	if err := c.parseDOM(fields[2]); err != nil {
		return nil, err
	}
	if err := cronMonth.list(fields[3], c.months[:12]); err != nil {
		return nil, err
	}
	if err := c.parseDOW(fields[4]); err != nil {
		return nil, err
	}
	years := make([]bool, cronLastYear-cronFirstYear+1)
	if len(fields) == 6 {
		if err := cronYear.list(fields[5], years); err != nil {
			return nil, err
		}
	} else {
		for i := range years {
			years[i] = true
		}
	}
	for i, ok := range years {
		if ok {
			c.years[cronFirstYear+i] = true
		}
	}
	return c, nil
}

func (c *cronSchedule) parseDOM(s string) error {
	c.domRestricted = true
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		switch {
		case part == "l":
			c.domLast = true
			continue
		case part == "lw":
			c.domLastWork = true
			continue
		case strings.HasSuffix(part, "w"):
			v, ok := cronDOM.value(part[:len(part)-1])
			if !ok {
				return fmt.Errorf("syntax error in day-of-month field: '%s'", part)
			}
			c.domWorkdays[v] = true
			continue
		}
		all, err := cronDOM.add(part, c.dom[1:])
		if err != nil {
			return err
		}
		if all {
			c.domRestricted = false
		}
	}
	return nil
}

func (c *cronSchedule) parseDOW(s string) error {
	c.dowRestricted = true
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		if strings.HasSuffix(part, "l") {
			if v, ok := cronDOW.value(part[:len(part)-1]); ok {
				c.dowLast[v] = true
				continue
			}
		}
		if day, nth, ok := strings.Cut(part, "#"); ok {
			v, ok1 := cronDOW.value(day)
			if !ok1 || len(nth) != 1 || nth[0] < '1' || nth[0] > '5' {
				return fmt.Errorf("syntax error in day-of-week field: '%s'", part)
			}
			c.dowNth[int(nth[0]-'1')*7+v] = true
			continue
		}
		all, err := cronDOW.add(part, c.dow[:])
		if err != nil {
			return err
		}
		if all {
			c.dowRestricted = false
		}
	}
	return nil
}

// days returns which days of the month match, indexed 1..31. When both day
// fields are restricted a day matches either, as in crontab; when neither
// is, every day does.
func (c *cronSchedule) days(year int, month time.Month) [32]bool {
	var out [32]bool
	first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if !c.domRestricted && !c.dowRestricted {
		for d := 1; d <= last; d++ {
			out[d] = true
		}
		return out
	}
	if c.domRestricted {
		for d := 1; d <= last; d++ {
			if c.dom[d] {
				out[d] = true
			}
			if c.domWorkdays[d] {
				out[nearestWorkday(year, month, d, last)] = true
			}
		}
		if c.domLast {
			out[last] = true
		}
		if c.domLastWork {
			out[nearestWorkday(year, month, last, last)] = true
		}
	}
	if c.dowRestricted {
		firstWeekday := int(first.Weekday())
		for d := 1; d <= last; d++ {
			wd := (firstWeekday + d - 1) % 7
			week := (d - 1) / 7
			if c.dow[wd] || c.dowNth[week*7+wd] || (c.dowLast[wd] && d+7 > last) {
				out[d] = true
			}
		}
	}
	return out
}

// nearestWorkday moves a Saturday to the Friday before and a Sunday to the
// Monday after, without leaving the month.
func nearestWorkday(year int, month time.Month, d, last int) int {
	switch time.Date(year, month, d, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if d > 1 {
			return d - 1
		}
		return d + 2
	case time.Sunday:
		if d < last {
			return d + 1
		}
		return d - 2
	}
	return d
}

// lastSecond returns the minute's last matching second.
func (c *cronSchedule) lastSecond() int {
	s := 59
	for s > 0 && !c.seconds[s] {
		s--
	}
	return s
}

// matchesMinute reports whether every field but the second matches t.
func (c *cronSchedule) matchesMinute(t time.Time) bool {
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	return c.years[y] && c.months[mo-1] && c.hours[h] && c.minutes[mi] && c.days(y, mo)[d]
}

// next returns the first matching instant strictly after t (compared in
// whole seconds), or the zero time if there is none before 2100.
func (c *cronSchedule) next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second).Add(time.Second)
	var (
		daysYear  int
		daysMonth time.Month
		days      [32]bool
	)
	for t.Year() <= cronLastYear {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		switch {
		case !c.years[y]:
			t = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
			continue
		case !c.months[mo-1]:
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if daysYear != y || daysMonth != mo {
			daysYear, daysMonth, days = y, mo, c.days(y, mo)
		}
		switch {
		case !days[d]:
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
		case !c.hours[h]:
			t = time.Date(y, mo, d, h+1, 0, 0, 0, time.UTC)
		case !c.minutes[mi]:
			t = time.Date(y, mo, d, h, mi+1, 0, 0, time.UTC)
		case !c.seconds[s]:
			t = t.Add(time.Second)
		default:
			return t
		}
	}
	return time.Time{}
}

// last returns the last matching instant strictly before t (compared in
// whole seconds), or the zero time if there is none since 1970, with the
// server's quirk: when t's minute matches, the second before t does not,
// and t is not past the minute's last matching second, the server's
// cronexpr.Last skips the earlier matching seconds of t's minute and
// answers the previous matching minute's last. So with "*/10 * * * * * *"
// the last before 12:00:12 is 11:59:50, not 12:00:10. Only schedules with
// a seconds field can tell.
func (c *cronSchedule) last(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if s := t.Second(); s > 0 && !c.seconds[s-1] && s <= c.lastSecond() && c.matchesMinute(t) {
		t = t.Truncate(time.Minute)
	}
	t = t.Add(-time.Second)
	var (
		daysYear  int
		daysMonth time.Month
		days      [32]bool
	)
	for t.Year() >= cronFirstYear {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		switch {
		case !c.years[y]:
			t = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
			continue
		case !c.months[mo-1]:
			t = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
			continue
		}
		if daysYear != y || daysMonth != mo {
			daysYear, daysMonth, days = y, mo, c.days(y, mo)
		}
		switch {
		case !days[d]:
			t = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Add(-time.Second)
		case !c.hours[h]:
			t = time.Date(y, mo, d, h, 0, 0, 0, time.UTC).Add(-time.Second)
		case !c.minutes[mi]:
			t = time.Date(y, mo, d, h, mi, 0, 0, time.UTC).Add(-time.Second)
		case !c.seconds[s]:
			t = t.Add(-time.Second)
		default:
			return t
		}
	}
	return time.Time{}
}
