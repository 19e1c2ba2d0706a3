package nakamatest

import (
	"testing"
	"time"
)

func TestCronParseErrors(t *testing.T) {
	for _, expr := range []string{
		"", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *",
		"* * * * 8", "*/0 * * * *", "*/60 * * * *", "5-1 * * * *", "x * * * *", "* * * 05 *",
		"* * * * 1#6", "* * 99W * *", "@midnight", "0 0 * * * 2200",
	} {
		if _, err := parseCron(expr); err == nil {
			t.Errorf("parseCron(%q) succeeded", expr)
		}
	}
	for _, expr := range []string{
		"* * * * *", "0 0 * * *", "*/15 9-17 * * mon-fri", "0,30 * * jan,JUL *", "0 0 L * *", "0 0 LW * *",
		"0 0 15W * *", "0 12 * * 5#2", "0 12 * * 5L", "0 0 * * 7", "@daily", "@weekly", "@hourly",
		"*/30 * * * * * *", "0 0 1 1 * 2030", "5/20 * * * *", "0 0 ? * 0", "0 0 * * 05",
	} {
		if _, err := parseCron(expr); err != nil {
			t.Errorf("parseCron(%q): %v", expr, err)
		}
	}
}

func TestCronNextAndLast(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const layout = "2006-01-02 15:04:05"
	for _, tc := range []struct {
		expr, from, next, last string
	}{
		// 2026-05-01 is a Friday.
		{"0 0 * * *", "2026-05-01 12:00:00", "2026-05-02 00:00:00", "2026-05-01 00:00:00"},
		// A matching instant is neither its own next nor its own last.
		{"0 0 * * *", "2026-05-01 00:00:00", "2026-05-02 00:00:00", "2026-04-30 00:00:00"},
		{"* * * * *", "2026-05-01 12:00:30", "2026-05-01 12:01:00", "2026-05-01 12:00:00"},
		{"*/15 9-17 * * mon-fri", "2026-05-01 17:50:00", "2026-05-04 09:00:00", "2026-05-01 17:45:00"},
		{"0 0 1 * *", "2026-12-15 08:00:00", "2027-01-01 00:00:00", "2026-12-01 00:00:00"},
		{"@weekly", "2026-05-01 12:00:00", "2026-05-03 00:00:00", "2026-04-26 00:00:00"},
		{"0 0 L * *", "2026-02-10 00:00:00", "2026-02-28 00:00:00", "2026-01-31 00:00:00"},
		{"0 12 * * 5#2", "2026-05-01 12:00:00", "2026-05-08 12:00:00", "2026-04-10 12:00:00"},
		{"0 12 * * 5L", "2026-05-01 12:00:00", "2026-05-29 12:00:00", "2026-04-24 12:00:00"},
		// The 16th of May 2026 is a Saturday: the nearest weekday is the 15th.
		{"0 0 16W * *", "2026-05-01 00:00:00", "2026-05-15 00:00:00", "2026-04-16 00:00:00"},
		// Both day fields restricted: either may match.
		{"0 0 13 * 5", "2026-05-02 00:00:00", "2026-05-08 00:00:00", "2026-05-01 00:00:00"},
		// The server's Last skips 12:00:00: 12:00:09 does not match (seen
		// on Nakama 3.40 in a tournament's prev_reset and active period).
		{"*/30 * * * * * *", "2026-05-01 12:00:10", "2026-05-01 12:00:30", "2026-05-01 11:59:30"},
		{"*/30 * * * * * *", "2026-05-01 12:00:01", "2026-05-01 12:00:30", "2026-05-01 12:00:00"},
		{"*/30 * * * * * *", "2026-05-01 12:00:31", "2026-05-01 12:01:00", "2026-05-01 12:00:30"},
		{"*/30 * * * * * *", "2026-05-01 12:00:40", "2026-05-01 12:01:00", "2026-05-01 12:00:30"},
		{"0 0 29 2 *", "2026-03-01 00:00:00", "2028-02-29 00:00:00", "2024-02-29 00:00:00"},
	} {
		c, err := parseCron(tc.expr)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		from := at(tc.from)
		if got := c.next(from).Format(layout); got != tc.next {
			t.Errorf("%q next after %s = %s, want %s", tc.expr, tc.from, got, tc.next)
		}
		if got := c.last(from).Format(layout); got != tc.last {
			t.Errorf("%q last before %s = %s, want %s", tc.expr, tc.from, got, tc.last)
		}
	}
	c, _ := parseCron("0 0 1 1 * 2030")
	if got := c.next(at("2031-01-01 00:00:00")); !got.IsZero() {
		t.Errorf("next past the last year = %v, want the zero time", got)
	}
	// Fractions of a second do not count: the instant is its whole second.
	c, _ = parseCron("* * * * *")
	if got := c.next(at("2026-05-01 12:00:00").Add(500 * time.Millisecond)).Format(layout); got != "2026-05-01 12:01:00" {
		t.Errorf("next with a fraction = %s", got)
	}
}
