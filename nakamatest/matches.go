package nakamatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// matchNode is the node name of the real server's default configuration,
// the suffix of authoritative match ids and party ids.
const matchNode = "nakama"

// matchLabelMaxBytes is the longest label an authoritative match may have.
const matchLabelMaxBytes = 2048

// matchEntry is one running match as the match registry lists it.
type matchEntry struct {
	seq           int64 // creation order
	id            string
	authoritative bool
	label         string
	size          int32
	tickRate      int32
	handlerName   string
	createTime    int64 // unix nanoseconds
	doc           *indexDoc
}

// matchState is the match registry's listing index, plus what the
// matchmaker reports.
type matchState struct {
	seq     int64
	matches map[string]*matchEntry

	// matchmakerStats returns the matchmaker's latest statistics. The
	// realtime area sets it once it runs a matchmaker; until then the
	// server answers as an idle one does. It runs with s.mu held.
	matchmakerStats func() *api.MatchmakerStats
}

func (s *Server) registerMatches() {
	s.matches.matches = make(map[string]*matchEntry)
	handle(s, "ListMatches", s.listMatches)
	handle(s, "GetMatchmakerStats", s.getMatchmakerStats)
}

func (s *Server) getMatchmakerStats(context.Context, *call, *emptypb.Empty) (*api.MatchmakerStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.matches.matchmakerStats != nil {
		if st := s.matches.matchmakerStats(); st != nil {
			return st, nil
		}
	}
	return &api.MatchmakerStats{}, nil
}

// putMatchLocked adds or replaces a match in the listing, indexing its
// label as the registry does (a JSON object's fields become label.<path>).
// s.mu is held.
func (s *Server) putMatchLocked(e *matchEntry) {
	s.matches.seq++
	e.seq = s.matches.seq
	e.doc = matchDoc(e)
	s.matches.matches[e.id] = e
}

// removeMatchLocked drops a match from the listing. s.mu is held.
func (s *Server) removeMatchLocked(id string) bool {
	_, ok := s.matches.matches[id]
	delete(s.matches.matches, id)
	return ok
}

func matchDoc(e *matchEntry) *indexDoc {
	d := newIndexDoc()
	d.keyword("node", matchNode)
	d.keyword("label_string", e.label)
	d.number("tick_rate", float64(e.tickRate))
	d.keyword("handler_name", e.handlerName)
	d.number("create_time", float64(e.createTime))
	var label map[string]any
	if json.Unmarshal([]byte(e.label), &label) == nil && label != nil {
		d.walk("label", label)
	}
	return d
}

func (s *Server) listMatches(_ context.Context, _ *call, req *api.ListMatchesRequest) (*api.MatchList, error) {
	limit := 10
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, msgLimit100)
		}
		limit = int(req.Limit.Value)
	}
	relayedOnly := req.Authoritative != nil && !req.Authoritative.Value
	if req.Label != nil && relayedOnly {
		return nil, newError(InvalidArgument, "Label filtering is not supported for non-authoritative matches.")
	}
	if req.Query != nil && relayedOnly {
		return nil, newError(InvalidArgument, "Query filtering is not supported for non-authoritative matches.")
	}
	if req.MinSize != nil && req.MinSize.Value < 0 {
		return nil, newError(InvalidArgument, "Minimum size must be 0 or above.")
	}
	if req.MaxSize != nil && req.MaxSize.Value < 0 {
		return nil, newError(InvalidArgument, "Maximum size must be 0 or above.")
	}
	if req.MinSize != nil && req.MaxSize != nil && req.MinSize.Value > req.MaxSize.Value {
		return nil, newError(InvalidArgument, "Maximum size must be greater than or equal to minimum size when both are specified.")
	}
	var q queryNode = matchAllQuery{}
	if req.Query != nil && req.Query.Value != "" {
		var err error
		if q, err = parseIndexQuery(req.Query.Value); err != nil {
			return nil, newError(Internal, "Error listing matches.")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	fits := func(size int32) bool {
		return (req.MinSize == nil || req.MinSize.Value <= size) && (req.MaxSize == nil || req.MaxSize.Value >= size)
	}
	out := &api.MatchList{}
	all := make([]*matchEntry, 0, len(s.matches.matches))
	for _, e := range s.matches.matches {
		all = append(all, e)
	}
	slices.SortFunc(all, func(a, b *matchEntry) int { return int(a.seq - b.seq) })

	// Authoritative matches first, from the label index: by query score,
	// then newest first.
	if !relayedOnly {
		type hit struct {
			e     *matchEntry
			score float64
		}
		var hits []hit
		for _, e := range all {
			if !e.authoritative {
				continue
			}
			ok, score := q.eval(e.doc)
			// A query, even with an empty label beside it (as nakama-js
			// always sends), decides alone: the registry ignores the label.
			if req.Label != nil && req.Query == nil {
				ok = ok && e.label == req.Label.Value
			}
			if ok {
				hits = append(hits, hit{e, score})
			}
		}
		slices.SortStableFunc(hits, func(a, b hit) int {
			if req.Query != nil && a.score != b.score {
				if a.score > b.score {
					return -1
				}
				return 1
			}
			switch {
			case a.e.createTime > b.e.createTime:
				return -1
			case a.e.createTime < b.e.createTime:
				return 1
			}
			return int(b.e.seq - a.e.seq)
		})
		for _, h := range hits {
			if !fits(h.e.size) {
				continue
			}
			out.Matches = append(out.Matches, &api.Match{
				MatchId:       h.e.id,
				Authoritative: true,
				Label:         wrapperspb.String(h.e.label),
				Size:          h.e.size,
				TickRate:      h.e.tickRate,
				HandlerName:   h.e.handlerName,
			})
			if len(out.Matches) == limit {
				return out, nil
			}
		}
	}
	// Relayed matches only when neither a label nor a query asked for
	// authoritative ones.
	if req.Authoritative != nil && req.Authoritative.Value || req.Label != nil || req.Query != nil {
		return out, nil
	}
	for _, e := range all {
		if e.authoritative || !fits(e.size) {
			continue
		}
		out.Matches = append(out.Matches, &api.Match{MatchId: e.id, Size: e.size})
		if len(out.Matches) == limit {
			break
		}
	}
	return out, nil
}

// Match describes a running match for AddMatch.
type Match struct {
	// Authoritative matches are run by the server and indexed by label;
	// relayed ones are client-run and exist while they have presences.
	Authoritative bool
	// Label is an authoritative match's label, at most 2048 bytes. A JSON
	// object label is searchable by query (label.<field>:<value>).
	Label string
	// Size is the number of presences in the match.
	Size int32
	// TickRate and HandlerName describe an authoritative match's handler.
	TickRate    int32
	HandlerName string
}

// AddMatch makes a match appear in ListMatches, as if it were running,
// and returns its id: "<uuid>.nakama" for an authoritative match and
// "<uuid>." for a relayed one.
func (s *Server) AddMatch(m Match) (string, error) {
	id := s.rand.uuid() + "."
	if m.Authoritative {
		id += matchNode
	}
	e, err := s.matchEntryFor(id, m)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putMatchLocked(e)
	return id, nil
}

// UpdateMatch replaces a listed match's label, size, tick rate and handler
// name (not whether it is authoritative), as a label update or presences
// joining and leaving would. It fails with NotFound for an unknown id.
func (s *Server) UpdateMatch(id string, m Match) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.matches.matches[id]
	if old == nil {
		return newError(NotFound, "Match not found.")
	}
	m.Authoritative = old.authoritative
	e, err := s.matchEntryFor(id, m)
	if err != nil {
		return err
	}
	e.createTime = old.createTime
	s.putMatchLocked(e)
	return nil
}

// RemoveMatch ends a listed match and reports whether it existed.
func (s *Server) RemoveMatch(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removeMatchLocked(id)
}

func (s *Server) matchEntryFor(id string, m Match) (*matchEntry, error) {
	if !m.Authoritative {
		m.Label, m.TickRate, m.HandlerName = "", 0, ""
	}
	if len(m.Label) > matchLabelMaxBytes {
		return nil, newError(InvalidArgument, "match label too long, must be 0-2048 bytes")
	}
	if m.Size < 0 {
		return nil, newError(InvalidArgument, "match size must be 0 or above")
	}
	return &matchEntry{id: id, authoritative: m.Authoritative, label: m.Label, size: m.Size,
		tickRate: m.TickRate, handlerName: m.HandlerName, createTime: s.clock.now().UnixNano()}, nil
}

// indexDoc is a document of the server's in-memory search index (used for
// match labels and parties): keyword, numeric and date fields by path.
type indexDoc struct {
	keywords map[string][]string
	numbers  map[string][]float64
	dates    map[string][]time.Time
}

func newIndexDoc() *indexDoc {
	return &indexDoc{keywords: map[string][]string{}, numbers: map[string][]float64{}, dates: map[string][]time.Time{}}
}

func (d *indexDoc) keyword(field, v string)        { d.keywords[field] = append(d.keywords[field], v) }
func (d *indexDoc) number(field string, v float64) { d.numbers[field] = append(d.numbers[field], v) }

// walk indexes a decoded JSON value under path as the server does: strings
// that parse as dates become dates and the rest keywords, numbers become
// numbers, booleans the keywords "T" and "F", and arrays index each
// element under the array's own path.
func (d *indexDoc) walk(path string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			d.walk(path+"."+k, e)
		}
	case []any:
		for _, e := range v {
			d.walk(path, e)
		}
	case string:
		if t, ok := parseIndexDate(v); ok {
			d.dates[path] = append(d.dates[path], t)
		} else {
			d.keyword(path, v)
		}
	case float64:
		d.number(path, v)
	case bool:
		if v {
			d.keyword(path, "T")
		} else {
			d.keyword(path, "F")
		}
	}
}

func parseIndexDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// queryNode is a parsed index query. eval reports whether a document
// matches and, if so, its score: every matching clause counts its boost,
// as with the server's constant-score index.
type queryNode interface {
	eval(d *indexDoc) (bool, float64)
}

type matchAllQuery struct{}

func (matchAllQuery) eval(*indexDoc) (bool, float64) { return true, 1 }

type matchNoneQuery struct{}

func (matchNoneQuery) eval(*indexDoc) (bool, float64) { return false, 0 }

// termQuery matches a keyword field exactly, or within an edit distance.
type termQuery struct {
	field, value string
	fuzzy        int
	boost        float64
}

func (q termQuery) eval(d *indexDoc) (bool, float64) {
	for _, v := range d.keywords[q.field] {
		if v == q.value || (q.fuzzy > 0 && editDistance(v, q.value) <= q.fuzzy) {
			return true, q.boost
		}
	}
	return false, 0
}

// patternQuery matches a keyword field against a whole-term regexp (also
// used for wildcards).
type patternQuery struct {
	field string
	re    *regexp.Regexp
	boost float64
}

func (q patternQuery) eval(d *indexDoc) (bool, float64) {
	for _, v := range d.keywords[q.field] {
		if q.re.MatchString(v) {
			return true, q.boost
		}
	}
	return false, 0
}

type numericRangeQuery struct {
	field          string
	min, max       *float64
	incMin, incMax bool
	boost          float64
}

func (q numericRangeQuery) eval(d *indexDoc) (bool, float64) {
	for _, v := range d.numbers[q.field] {
		if q.min != nil && (v < *q.min || (v == *q.min && !q.incMin)) {
			continue
		}
		if q.max != nil && (v > *q.max || (v == *q.max && !q.incMax)) {
			continue
		}
		return true, q.boost
	}
	return false, 0
}

type dateRangeQuery struct {
	field          string
	min, max       time.Time // zero: unbounded
	incMin, incMax bool
	boost          float64
}

func (q dateRangeQuery) eval(d *indexDoc) (bool, float64) {
	for _, v := range d.dates[q.field] {
		if !q.min.IsZero() && (v.Before(q.min) || (v.Equal(q.min) && !q.incMin)) {
			continue
		}
		if !q.max.IsZero() && (v.After(q.max) || (v.Equal(q.max) && !q.incMax)) {
			continue
		}
		return true, q.boost
	}
	return false, 0
}

// boolQuery combines clauses as the index does: every must clause must
// match and no must-not clause may; should clauses add to the score, and
// when there is no must clause at least one of them must match.
type boolQuery struct {
	must, should, mustNot []queryNode
	boost                 float64
}

func (q boolQuery) eval(d *indexDoc) (bool, float64) {
	if len(q.must) == 0 && len(q.should) == 0 && len(q.mustNot) == 0 {
		return false, 0
	}
	var score float64
	for _, c := range q.mustNot {
		if ok, _ := c.eval(d); ok {
			return false, 0
		}
	}
	for _, c := range q.must {
		ok, sc := c.eval(d)
		if !ok {
			return false, 0
		}
		score += sc
	}
	matched := 0
	for _, c := range q.should {
		if ok, sc := c.eval(d); ok {
			matched++
			score += sc
		}
	}
	if len(q.must) == 0 && len(q.should) > 0 && matched == 0 {
		return false, 0
	}
	if len(q.must) == 0 && len(q.should) == 0 {
		score = 1 // only exclusions: everything else matches
	}
	return true, score * q.boost
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// parseIndexQuery parses the query string syntax the server accepts for
// match and party listings: space-separated clauses, each optionally
// prefixed with + (must) or - (must not), of the forms field:value,
// field:"phrase", field:>n, field:>=n, field:<n, field:<=n (or a quoted
// RFC 3339 date instead of n), field:/regexp/, field:wild*card?,
// field:value~fuzziness, with an optional ^boost. "*" alone matches
// everything. Values match whole keywords; a numeric value also matches
// that number. A clause without a field matches nothing.
func parseIndexQuery(s string) (queryNode, error) {
	if s == "*" {
		return matchAllQuery{}, nil
	}
	toks, err := lexIndexQuery(s)
	if err != nil {
		return nil, err
	}
	p := &queryParser{toks: toks}
	root := boolQuery{boost: 1}
	if len(toks) == 0 {
		return nil, errors.New("syntax error")
	}
	for !p.done() {
		kind := qShould
		switch p.peek().kind {
		case tokPlus:
			kind = qMust
			p.pos++
		case tokMinus:
			kind = qMustNot
			p.pos++
		}
		base, err := p.base()
		if err != nil {
			return nil, err
		}
		if !p.done() && p.peek().kind == tokBoost {
			b, err := strconv.ParseFloat(p.next().s, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid boost value: %v", err)
			}
			base = withBoost(base, b)
		}
		switch kind {
		case qMust:
			root.must = append(root.must, base)
		case qMustNot:
			root.mustNot = append(root.mustNot, base)
		default:
			root.should = append(root.should, base)
		}
	}
	return root, nil
}

const (
	qShould = iota
	qMust
	qMustNot
)

func withBoost(q queryNode, b float64) queryNode {
	switch q := q.(type) {
	case termQuery:
		q.boost = b
		return q
	case patternQuery:
		q.boost = b
		return q
	case numericRangeQuery:
		q.boost = b
		return q
	case dateRangeQuery:
		q.boost = b
		return q
	case boolQuery:
		q.boost = b
		return q
	}
	return q
}

type queryParser struct {
	toks []queryToken
	pos  int
}

func (p *queryParser) done() bool        { return p.pos >= len(p.toks) }
func (p *queryParser) peek() queryToken  { return p.toks[p.pos] }
func (p *queryParser) next() queryToken  { t := p.toks[p.pos]; p.pos++; return t }
func (p *queryParser) is(k tokKind) bool { return !p.done() && p.peek().kind == k }

var errQuerySyntax = errors.New("syntax error")

func (p *queryParser) base() (queryNode, error) {
	if p.done() {
		return nil, errQuerySyntax
	}
	t := p.next()
	switch t.kind {
	case tokNumber:
		return numberQuery("", t.s)
	case tokPhrase:
		return termQuery{value: t.s, boost: 1}, nil
	case tokString:
	default:
		return nil, errQuerySyntax
	}
	if p.is(tokTilde) {
		return fuzzyQuery("", t.s, p.next().s)
	}
	if !p.is(tokColon) {
		return stringQuery("", t.s)
	}
	p.pos++
	field := t.s
	if p.done() {
		return nil, errQuerySyntax
	}
	v := p.next()
	switch v.kind {
	case tokString:
		if p.is(tokTilde) {
			return fuzzyQuery(field, v.s, p.next().s)
		}
		return stringQuery(field, v.s)
	case tokNumber:
		return numberQuery(field, v.s)
	case tokMinus:
		if !p.is(tokNumber) {
			return nil, errQuerySyntax
		}
		return numberQuery(field, "-"+p.next().s)
	case tokPhrase:
		return termQuery{field: field, value: v.s, boost: 1}, nil
	case tokGreater, tokLess:
		orEqual := p.is(tokEqual)
		if orEqual {
			p.pos++
		}
		if p.done() {
			return nil, errQuerySyntax
		}
		b := p.next()
		var num string
		switch b.kind {
		case tokPhrase:
			at, err := time.Parse(time.RFC3339, b.s)
			if err != nil {
				return nil, fmt.Errorf("invalid time: %v", err)
			}
			if v.kind == tokGreater {
				return dateRangeQuery{field: field, min: at, incMin: orEqual, incMax: true, boost: 1}, nil
			}
			return dateRangeQuery{field: field, max: at, incMin: true, incMax: orEqual, boost: 1}, nil
		case tokNumber:
			num = b.s
		case tokMinus:
			if !p.is(tokNumber) {
				return nil, errQuerySyntax
			}
			num = "-" + p.next().s
		default:
			return nil, errQuerySyntax
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return nil, fmt.Errorf("error parsing number: %v", err)
		}
		if v.kind == tokGreater {
			return numericRangeQuery{field: field, min: &n, incMin: orEqual, incMax: true, boost: 1}, nil
		}
		return numericRangeQuery{field: field, max: &n, incMin: true, incMax: orEqual, boost: 1}, nil
	}
	return nil, errQuerySyntax
}

func stringQuery(field, s string) (queryNode, error) {
	if field == "" {
		return matchNoneQuery{}, nil // no default field is indexed
	}
	if len(s) >= 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
		re, err := regexp.Compile(`^(?:` + s[1:len(s)-1] + `)$`)
		if err != nil {
			return nil, err
		}
		return patternQuery{field: field, re: re, boost: 1}, nil
	}
	if strings.ContainsAny(s, "*?") {
		var b strings.Builder
		b.WriteString("^")
		for _, r := range s {
			switch r {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		b.WriteString("$")
		return patternQuery{field: field, re: regexp.MustCompile(b.String()), boost: 1}, nil
	}
	return termQuery{field: field, value: s, boost: 1}, nil
}

func fuzzyQuery(field, s, fuzziness string) (queryNode, error) {
	f, err := strconv.ParseFloat(fuzziness, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid fuzziness value: %v", err)
	}
	if field == "" {
		return matchNoneQuery{}, nil
	}
	return termQuery{field: field, value: s, fuzzy: int(f), boost: 1}, nil
}

// numberQuery matches a number written as a value: the keyword itself or
// the equal number.
func numberQuery(field, s string) (queryNode, error) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("error parsing number: %v", err)
	}
	if field == "" {
		return matchNoneQuery{}, nil
	}
	return boolQuery{should: []queryNode{
		termQuery{field: field, value: s, boost: 1},
		numericRangeQuery{field: field, min: &n, max: &n, incMin: true, incMax: true, boost: 1},
	}, boost: 1}, nil
}

type tokKind int

const (
	tokString tokKind = iota
	tokPhrase
	tokNumber
	tokPlus
	tokMinus
	tokColon
	tokGreater
	tokLess
	tokEqual
	tokBoost
	tokTilde
)

type queryToken struct {
	kind tokKind
	s    string
}

// queryReserved are the characters a backslash escapes in a query; before
// any other character the backslash stays.
const queryReserved = "+-=&|><!(){}[]^\"~*?:\\/ "

func unescapeQuery(r rune) string {
	if strings.ContainsRune(queryReserved, r) {
		return string(r)
	}
	return `\` + string(r)
}

// lexIndexQuery splits a query into tokens with the server's rules: a term
// ends at an unescaped space, colon, caret or tilde; a term of digits (and
// one dot) is a number; operators are single characters at a term's start.
func lexIndexQuery(s string) ([]queryToken, error) {
	var toks []queryToken
	rs := []rune(s)
	i := 0
	for i < len(rs) {
		r := rs[i]
		switch {
		case r == '"':
			i++
			var b strings.Builder
			closed := false
			for i < len(rs) {
				c := rs[i]
				i++
				if c == '\\' && i < len(rs) {
					b.WriteString(unescapeQuery(rs[i]))
					i++
					continue
				}
				if c == '"' {
					closed = true
					break
				}
				b.WriteRune(c)
			}
			if !closed {
				return nil, errors.New("unterminated quote")
			}
			toks = append(toks, queryToken{tokPhrase, b.String()})
		case strings.ContainsRune("+-:><=", r):
			kind := map[rune]tokKind{'+': tokPlus, '-': tokMinus, ':': tokColon, '>': tokGreater, '<': tokLess, '=': tokEqual}[r]
			toks = append(toks, queryToken{kind: kind})
			i++
		case r == '^' || r == '~':
			i++
			var b strings.Builder
			for i < len(rs) && rs[i] != ' ' {
				if rs[i] == '\\' && i+1 < len(rs) {
					b.WriteString(unescapeQuery(rs[i+1]))
					i += 2
					continue
				}
				b.WriteRune(rs[i])
				i++
			}
			v := b.String()
			if v == "" {
				v = "1"
			}
			kind := tokBoost
			if r == '~' {
				kind = tokTilde
			}
			toks = append(toks, queryToken{kind, v})
		case unicode.IsSpace(r):
			i++
		default:
			var b strings.Builder
			number, seenDot := unicode.IsDigit(r), false
			for i < len(rs) {
				c := rs[i]
				if c == ' ' || c == ':' || c == '^' || c == '~' {
					break
				}
				i++
				if c == '\\' {
					if i < len(rs) {
						b.WriteString(unescapeQuery(rs[i]))
						i++
					}
					number = false
					continue
				}
				switch {
				case c == '.' && !seenDot:
					seenDot = true
				case !unicode.IsDigit(c):
					number = false
				}
				b.WriteRune(c)
			}
			kind := tokString
			if number {
				kind = tokNumber
			}
			toks = append(toks, queryToken{kind, b.String()})
		}
	}
	return toks, nil
}

// Matches returns the listed matches, newest first, authoritative ones
// with their labels.
func (s *Server) Matches() []*api.Match {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*matchEntry, 0, len(s.matches.matches))
	for _, e := range s.matches.matches {
		all = append(all, e)
	}
	slices.SortFunc(all, func(a, b *matchEntry) int { return int(b.seq - a.seq) })
	out := make([]*api.Match, len(all))
	for i, e := range all {
		m := &api.Match{MatchId: e.id, Authoritative: e.authoritative, Size: e.size}
		if e.authoritative {
			m.Label, m.TickRate, m.HandlerName = wrapperspb.String(e.label), e.tickRate, e.handlerName
		}
		out[i] = m
	}
	return out
}
