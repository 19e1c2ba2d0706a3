package nakamatest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The matchmaker, as the server runs it by default: tickets wait in a pool
// indexed by their properties; every interval each ticket still active
// searches the pool with its query (one-sided: the default configuration
// does not check that the others' queries accept it back) and forms a
// match of as many as its maximum count allows, or, on its last interval,
// of at least its minimum count. The users of a match get
// MatchmakerMatched with a token that JoinMatch accepts for 30 seconds.
//
// Intervals follow the server's clock: a ticket added now is considered
// once the clock has moved an interval on (15 seconds by default), so
// FastForward or SetMatchmakerInterval make tests quick, and
// ProcessMatchmaker runs an interval at once.

// The server's default matchmaker configuration.
const (
	matchmakerMaxTickets   = 3
	matchmakerMaxIntervals = 2
	matchmakerInterval     = 15 * time.Second
	matchTokenLifetime     = 30 * time.Second
	// matchmakerPoll is how often the matchmaker looks at the clock.
	matchmakerPoll = 50 * time.Millisecond
)

// The matchmaker's errors, with the runtime's text.
var (
	errMatchmakerQueryInvalid     = errors.New("matchmaker query invalid")
	errMatchmakerDuplicateSession = errors.New("matchmaker duplicate session")
	errMatchmakerTooManyTickets   = errors.New("matchmaker too many tickets")
	errMatchmakerTicketNotFound   = errors.New("matchmaker ticket not found")
)

// MatchmakerEntry is one user of a matchmaker result, as the runtime's
// matchmaker matched hook receives it. It implements
// runtime.MatchmakerEntry.
type MatchmakerEntry struct {
	Presence MatchPresence
	Ticket   string
	// Properties holds the ticket's string and numeric properties.
	Properties map[string]any
	// PartyID is the party the ticket was made for, if any.
	PartyID string
	// CreateTime is when the ticket was made, in Unix nanoseconds.
	CreateTime int64

	stringProps  map[string]string
	numericProps map[string]float64
}

// GetPresence returns the user's presence.
func (e *MatchmakerEntry) GetPresence() runtime.Presence { return e.Presence }

// GetTicket returns the ticket.
func (e *MatchmakerEntry) GetTicket() string { return e.Ticket }

// GetProperties returns the ticket's properties.
func (e *MatchmakerEntry) GetProperties() map[string]any { return e.Properties }

// GetPartyId returns the party id, or "".
func (e *MatchmakerEntry) GetPartyId() string { return e.PartyID }

// GetCreateTime returns the ticket's creation time in Unix nanoseconds.
func (e *MatchmakerEntry) GetCreateTime() int64 { return e.CreateTime }

// MatchmakerMatchedFunc decides what a matchmaker result plays, as a
// runtime module's matchmaker matched hook does: a match id (typically of
// a match it creates with CreateMatch) that the users get instead of a
// token, or "" for the usual token of a relayed match. An error is logged
// and the users get a token.
type MatchmakerMatchedFunc func(ctx context.Context, entries []*MatchmakerEntry) (string, error)

// mmTicket is one ticket in the pool.
type mmTicket struct {
	seq           int64
	ticket        string
	sessionID     string // the owner of a user's ticket; "" for a party's
	partyID       string
	parsed        queryNode
	minCount      int
	maxCount      int
	countMultiple int
	intervals     int
	active        bool
	createdAt     int64 // Unix nanoseconds
	sessionIDs    map[string]bool
	entries       []*MatchmakerEntry
	doc           *indexDoc
}

// matchmakerState is the matchmaker's pool and schedule.
type matchmakerState struct {
	seq            int64
	tickets        map[string]*mmTicket
	sessionTickets map[string]map[string]struct{}
	partyTickets   map[string]map[string]struct{}

	interval time.Duration
	next     time.Time // server time of the next interval
	running  bool
	stop     chan struct{}

	stats       *api.MatchmakerStats
	completions []*api.MatchmakerCompletionStats // the latest 10
	matchedFn   MatchmakerMatchedFunc
}

func (mm *matchmakerState) init() {
	mm.tickets = make(map[string]*mmTicket)
	mm.sessionTickets = make(map[string]map[string]struct{})
	mm.partyTickets = make(map[string]map[string]struct{})
	mm.interval = matchmakerInterval
}

// SetMatchmakerInterval sets how much server time passes between two runs
// of the matchmaker; the server's default is 15 seconds. d <= 0 restores
// the default. It takes effect from the next run.
func (s *Server) SetMatchmakerInterval(d time.Duration) {
	if d <= 0 {
		d = matchmakerInterval
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.realtime.mm.interval = d
	if mm := &s.realtime.mm; mm.running {
		if next := s.clock.now().Add(d); next.Before(mm.next) {
			mm.next = next
		}
	}
}

// ProcessMatchmaker runs one matchmaker interval now, and returns once its
// results were sent.
func (s *Server) ProcessMatchmaker() {
	s.mu.Lock()
	groups := s.rtMatchmakerProcessLocked()
	s.mu.Unlock()
	s.rtMatchmakerDeliver(groups)
}

// OnMatchmakerMatched sets fn as the matchmaker matched hook (nil removes
// it). It runs on the matchmaker's goroutine without the server's lock.
func (s *Server) OnMatchmakerMatched(fn MatchmakerMatchedFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.realtime.mm.matchedFn = fn
}

// MatchmakerTickets returns the tickets waiting in the pool, oldest first.
func (s *Server) MatchmakerTickets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.rtTicketsLocked()
	out := make([]string, len(all))
	for i, t := range all {
		out[i] = t.ticket
	}
	return out
}

func (s *Server) rtTicketsLocked() []*mmTicket {
	all := make([]*mmTicket, 0, len(s.realtime.mm.tickets))
	for _, t := range s.realtime.mm.tickets {
		all = append(all, t)
	}
	slices.SortFunc(all, func(a, b *mmTicket) int { return int(a.seq - b.seq) })
	return all
}

func (s *Server) rtMatchmakerStats() *api.MatchmakerStats {
	if st := s.realtime.mm.stats; st != nil {
		return proto.Clone(st).(*api.MatchmakerStats)
	}
	return nil
}

// checkMatchmakerCounts validates the counts of a matchmaker request, a
// player's or a party's; msg is empty when they are fine.
func checkMatchmakerCounts(minCount, maxCount int32, countMultiple *wrapperspb.Int32Value) (mult int, msg string) {
	if minCount < 2 {
		return 0, "Invalid minimum count, must be >= 2"
	}
	if maxCount < minCount {
		return 0, "Invalid maximum count, must be >= minimum count"
	}
	mult = 1
	if countMultiple != nil {
		mult = int(countMultiple.Value)
		if mult < 1 {
			return 0, "Invalid count multiple, must be >= 1"
		}
		if int(minCount)%mult != 0 {
			return 0, "Invalid count multiple for minimum count, must divide"
		}
		if int(maxCount)%mult != 0 {
			return 0, "Invalid count multiple for maximum count, must divide"
		}
	}
	return mult, ""
}

func (s *Server) rtMatchmakerAdd(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetMatchmakerAdd()
	mult, msg := checkMatchmakerCounts(in.MinCount, in.MaxCount, in.CountMultiple)
	if msg != "" {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, msg)
		return
	}
	query := cmp.Or(in.Query, "*")
	s.mu.Lock()
	defer s.rtUnlock()
	ticket, err := s.rtMatchmakerAddLocked([]MatchPresence{{UserID: sess.userID, SessionID: sess.id, Username: sess.username, Node: matchNode}},
		sess.id, "", query, int(in.MinCount), int(in.MaxCount), mult, in.StringProperties, in.NumericProperties)
	if err != nil {
		sess.sendError(env.Cid, rtapi.Error_RUNTIME_EXCEPTION, "Error adding to matchmaker")
		return
	}
	sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_MatchmakerTicket{MatchmakerTicket: &rtapi.MatchmakerTicket{Ticket: ticket}}})
}

func (s *Server) rtMatchmakerRemove(sess *rtSession, env *rtapi.Envelope) {
	ticket := env.GetMatchmakerRemove().Ticket
	if ticket == "" {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid matchmaker ticket")
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	t := s.realtime.mm.tickets[ticket]
	if t == nil || t.partyID != "" || t.sessionID != sess.id {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Matchmaker ticket not found")
		return
	}
	s.rtRemoveTicketLocked(t)
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

// rtMatchmakerAddLocked puts a ticket in the pool, with the matchmaker's
// checks, and starts the matchmaker's clock if it was idle.
func (s *Server) rtMatchmakerAddLocked(presences []MatchPresence, sessionID, partyID, query string, minCount, maxCount, countMultiple int,
	stringProps map[string]string, numericProps map[string]float64) (string, error) {
	parsed, err := parseIndexQuery(query)
	if err != nil {
		return "", errMatchmakerQueryInvalid
	}
	mm := &s.realtime.mm
	sessionIDs := make(map[string]bool, len(presences))
	for _, p := range presences {
		if sessionIDs[p.SessionID] {
			return "", errMatchmakerDuplicateSession
		}
		sessionIDs[p.SessionID] = true
	}
	for _, p := range presences {
		if len(mm.sessionTickets[p.SessionID]) >= matchmakerMaxTickets {
			return "", errMatchmakerTooManyTickets
		}
	}
	if partyID != "" && len(mm.partyTickets[partyID]) >= matchmakerMaxTickets {
		return "", errMatchmakerTooManyTickets
	}
	props := make(map[string]any, len(stringProps)+len(numericProps))
	for k, v := range stringProps {
		props[k] = v
	}
	for k, v := range numericProps {
		props[k] = v
	}
	mm.seq++
	t := &mmTicket{seq: mm.seq, ticket: s.rand.uuid(), sessionID: sessionID, partyID: partyID, parsed: parsed,
		minCount: minCount, maxCount: maxCount, countMultiple: countMultiple, active: true,
		createdAt: s.clock.now().UnixNano(), sessionIDs: sessionIDs}
	d := newIndexDoc()
	d.keyword("ticket", t.ticket)
	d.number("min_count", float64(minCount))
	d.number("max_count", float64(maxCount))
	d.keyword("party_id", partyID)
	d.number("created_at", float64(t.createdAt))
	d.walk("properties", props)
	t.doc = d
	for _, p := range presences {
		t.entries = append(t.entries, &MatchmakerEntry{Presence: p, Ticket: t.ticket, Properties: props, PartyID: partyID,
			CreateTime: t.createdAt, stringProps: maps.Clone(stringProps), numericProps: maps.Clone(numericProps)})
		addToSet(mm.sessionTickets, p.SessionID, t.ticket)
	}
	if partyID != "" {
		addToSet(mm.partyTickets, partyID, t.ticket)
	}
	mm.tickets[t.ticket] = t
	s.rtMatchmakerStartLocked()
	return t.ticket, nil
}

func addToSet(m map[string]map[string]struct{}, key, v string) {
	set := m[key]
	if set == nil {
		set = make(map[string]struct{})
		m[key] = set
	}
	set[v] = struct{}{}
}

func removeFromSet(m map[string]map[string]struct{}, key, v string) {
	if set := m[key]; set != nil {
		delete(set, v)
		if len(set) == 0 {
			delete(m, key)
		}
	}
}

func (s *Server) rtRemoveTicketLocked(t *mmTicket) {
	mm := &s.realtime.mm
	delete(mm.tickets, t.ticket)
	for _, e := range t.entries {
		removeFromSet(mm.sessionTickets, e.Presence.SessionID, t.ticket)
	}
	if t.partyID != "" {
		removeFromSet(mm.partyTickets, t.partyID, t.ticket)
	}
}

// rtMatchmakerRemoveSessionAllLocked drops every ticket a session is in,
// party tickets included.
func (s *Server) rtMatchmakerRemoveSessionAllLocked(sessionID string) {
	mm := &s.realtime.mm
	for ticket := range mm.sessionTickets[sessionID] {
		if t := mm.tickets[ticket]; t != nil {
			s.rtRemoveTicketLocked(t)
		}
	}
	delete(mm.sessionTickets, sessionID)
}

func (s *Server) rtMatchmakerRemovePartyAllLocked(partyID string) {
	mm := &s.realtime.mm
	for ticket := range mm.partyTickets[partyID] {
		if t := mm.tickets[ticket]; t != nil {
			s.rtRemoveTicketLocked(t)
		}
	}
	delete(mm.partyTickets, partyID)
}

// rtMatchmakerStartLocked starts the goroutine that runs the intervals.
func (s *Server) rtMatchmakerStartLocked() {
	mm := &s.realtime.mm
	if mm.running || s.realtime.closed {
		return
	}
	mm.running = true
	mm.next = s.clock.now().Add(mm.interval)
	mm.stop = make(chan struct{})
	s.realtime.wg.Add(1)
	go s.rtMatchmakerLoop(mm.stop)
}

// rtMatchmakerHaltLocked stops the matchmaker's goroutine.
func (s *Server) rtMatchmakerHaltLocked() {
	mm := &s.realtime.mm
	if mm.running {
		mm.running = false
		close(mm.stop)
	}
}

// rtMatchmakerLoop runs an interval whenever the server's clock reaches
// the next one. It ends after an interval that found the pool empty, so
// the statistics show the empty pool.
func (s *Server) rtMatchmakerLoop(stop chan struct{}) {
	defer s.realtime.wg.Done()
	t := time.NewTimer(matchmakerPoll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		mm := &s.realtime.mm
		if !mm.running || mm.stop != stop {
			s.mu.Unlock()
			return
		}
		now := s.clock.now()
		if now.Before(mm.next) {
			s.mu.Unlock()
			t.Reset(matchmakerPoll)
			continue
		}
		mm.next = now.Add(mm.interval)
		wasEmpty := len(mm.tickets) == 0
		groups := s.rtMatchmakerProcessLocked()
		done := wasEmpty && len(mm.tickets) == 0
		if done {
			mm.running = false
		}
		s.mu.Unlock()
		s.rtMatchmakerDeliver(groups)
		if done {
			return
		}
		t.Reset(matchmakerPoll)
	}
}

type mmHit struct {
	t     *mmTicket
	score float64
}

// rtMatchmakerProcessLocked runs one interval of the server's default
// matchmaking and takes the matched tickets out of the pool.
func (s *Server) rtMatchmakerProcessLocked() [][]*MatchmakerEntry {
	mm := &s.realtime.mm
	all := s.rtTicketsLocked()
	stats := &api.MatchmakerStats{TicketCount: int32(len(all))}
	var oldest int64
	for _, t := range all {
		if oldest == 0 || t.createdAt < oldest {
			oldest = t.createdAt
		}
	}
	if oldest != 0 {
		stats.OldestTicketCreateTime = timestamppb.New(time.Unix(0, oldest))
	}
	defer func() {
		stats.Completions = slices.Clone(mm.completions)
		mm.stats = stats
	}()

	var matched [][]*MatchmakerEntry
	var expired []*mmTicket
	selected := map[string]bool{}
	for _, a := range all {
		if !a.active || selected[a.ticket] {
			continue
		}
		a.intervals++
		last := a.intervals >= matchmakerMaxIntervals || a.minCount == a.maxCount
		if last {
			expired = append(expired, a)
		}
		minC, maxC := float64(a.minCount), float64(a.maxCount)
		inf, negInf := math.Inf(1), math.Inf(-1)
		q := boolQuery{boost: 1, must: []queryNode{
			a.parsed,
			numericRangeQuery{field: "min_count", min: &minC, max: &inf, incMin: true, incMax: true, boost: 1},
			numericRangeQuery{field: "max_count", min: &negInf, max: &maxC, incMin: true, incMax: true, boost: 1},
		}}
		if a.partyID != "" {
			q.mustNot = []queryNode{termQuery{field: "party_id", value: a.partyID, boost: 1}}
		}
		var hits []mmHit
		for _, t := range all {
			if t == a || selected[t.ticket] {
				continue
			}
			if ok, score := q.eval(t.doc); ok {
				hits = append(hits, mmHit{t, score})
			}
		}
		// The best match first, and among equals the longest waiting.
		slices.SortStableFunc(hits, func(x, y mmHit) int {
			if x.score != y.score {
				if x.score > y.score {
					return -1
				}
				return 1
			}
			switch {
			case x.t.createdAt < y.t.createdAt:
				return -1
			case x.t.createdAt > y.t.createdAt:
				return 1
			}
			return 0
		})
		if group := formMatch(a, hits, last, mm.tickets); group != nil {
			matched = append(matched, group)
			for _, e := range group {
				selected[e.Ticket] = true
			}
		}
	}
	for _, t := range expired {
		t.active = false
	}
	for _, group := range matched {
		for _, e := range group {
			if t := mm.tickets[e.Ticket]; t != nil {
				s.rtRemoveTicketLocked(t)
			}
		}
	}
	// The statistics count what the interval found, before matching.
	ts := s.clock.now().UnixNano()
	for _, group := range matched {
		for _, e := range group {
			mm.completions = append(mm.completions, &api.MatchmakerCompletionStats{
				CreateTime: timestamppb.New(time.Unix(0, e.CreateTime)), CompleteTime: timestamppb.New(time.Unix(0, ts))})
		}
	}
	if n := len(mm.completions); n > 10 {
		mm.completions = slices.Clone(mm.completions[n-10:])
	}
	return matched
}

// formMatch looks for a match for the active ticket a among its hits, as
// the server's default process does: combinations of hits fill up to a's
// maximum count; a combination is taken when it reaches the maximum, or,
// on a's last interval, once no further hit could add to it, when it
// satisfies a's minimum. Count multiples trim the longest-waiting tickets
// last. Every ticket in the result must accept its size.
func formMatch(a *mmTicket, hits []mmHit, last bool, tickets map[string]*mmTicket) []*MatchmakerEntry {
	var combos [][]*MatchmakerEntry
	lastHit := len(hits) - 1
	count := len(a.entries)
	for hi, h := range hits {
		t := h.t
		if a.maxCount < t.maxCount && t.intervals <= matchmakerMaxIntervals {
			continue // the hit may still find a larger match
		}
		conflict := false
		for sid := range a.sessionIDs {
			if t.sessionIDs[sid] {
				conflict = true
				break
			}
		}
		if conflict {
			continue
		}
		var found []*MatchmakerEntry
		for ci, combo := range combos {
			if len(combo)+len(t.entries)+count > a.maxCount {
				continue
			}
			for _, e := range combo {
				if t.sessionIDs[e.Presence.SessionID] {
					conflict = true
					break
				}
			}
			if conflict {
				// Once set, a conflict rules out every later combination
				// too, as on the server.
				continue
			}
			combo = append(combo, t.entries...)
			combos[ci] = combo
			found = combo
			break
		}
		if found == nil {
			found = slices.Clone(t.entries)
			combos = append(combos, found)
		}
		l := len(found) + count
		if !(l == a.maxCount || (last && l >= a.minCount && l <= a.maxCount && hi >= lastHit)) {
			continue
		}
		if rem := l % a.countMultiple; rem != 0 {
			var eligible []*mmTicket
			for _, e := range found {
				if et := tickets[e.Ticket]; et != nil && len(et.entries) <= rem && !slices.Contains(eligible, et) {
					eligible = append(eligible, et)
				}
			}
			groups := groupTickets(eligible, rem)
			if len(groups) == 0 {
				continue
			}
			slices.SortStableFunc(groups, func(x, y ticketGroup) int {
				switch {
				case x.avgCreatedAt < y.avgCreatedAt:
					return -1
				case x.avgCreatedAt > y.avgCreatedAt:
					return 1
				}
				return 0
			})
			drop := map[string]bool{}
			for _, gt := range groups[0].tickets {
				drop[gt.ticket] = true
			}
			found = slices.DeleteFunc(slices.Clone(found), func(e *MatchmakerEntry) bool { return drop[e.Ticket] })
			l = len(found) + count
			if l%a.countMultiple != 0 {
				continue
			}
		}
		ok := true
		for _, e := range found {
			if et := tickets[e.Ticket]; et != nil && (et.minCount > l || et.maxCount < l || l%et.countMultiple != 0) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		return append(slices.Clone(found), a.entries...)
	}
	return nil
}

type ticketGroup struct {
	tickets      []*mmTicket
	avgCreatedAt int64
}

// groupTickets lists the combinations of tickets whose users add up to
// exactly required, as the server's count-multiple trimming does.
func groupTickets(ts []*mmTicket, required int) []ticketGroup {
	if len(ts) == 0 || required <= 0 {
		return nil
	}
	cur, others := ts[0], ts[1:]
	n := len(cur.entries)
	if n > required {
		return groupTickets(others, required)
	}
	var out []ticketGroup
	if n == required {
		out = append(out, ticketGroup{tickets: []*mmTicket{cur}, avgCreatedAt: cur.createdAt})
	} else {
		for _, g := range groupTickets(others, required-n) {
			k := int64(len(g.tickets))
			g.avgCreatedAt = (g.avgCreatedAt*k + cur.createdAt) / (k + 1)
			g.tickets = append(g.tickets, cur)
			out = append(out, g)
		}
	}
	return append(out, groupTickets(others, required)...)
}

// rtMatchmakerDeliver tells every user of each result, with a token for a
// relayed match or the match id the matched hook chose.
func (s *Server) rtMatchmakerDeliver(groups [][]*MatchmakerEntry) {
	if len(groups) == 0 {
		return
	}
	s.mu.Lock()
	fn := s.realtime.mm.matchedFn
	s.mu.Unlock()
	for _, entries := range groups {
		var matchID string
		if fn != nil {
			matchID = s.rtCallMatched(fn, entries)
		}
		users := make([]*rtapi.MatchmakerMatched_MatchmakerUser, len(entries))
		for i, e := range entries {
			users[i] = &rtapi.MatchmakerMatched_MatchmakerUser{
				Presence:          &rtapi.UserPresence{UserId: e.Presence.UserID, SessionId: e.Presence.SessionID, Username: e.Presence.Username},
				StringProperties:  e.stringProps,
				NumericProperties: e.numericProps,
				PartyId:           e.PartyID,
			}
		}
		s.mu.Lock()
		out := &rtapi.MatchmakerMatched{Users: users}
		if matchID != "" {
			out.Id = &rtapi.MatchmakerMatched_MatchId{MatchId: matchID}
		} else {
			out.Id = &rtapi.MatchmakerMatched_Token{Token: signMatchToken(s.opts.EncryptionKey, s.rand.uuid()+".",
				s.clock.now().Add(matchTokenLifetime))}
		}
		for i, e := range entries {
			out.Self, out.Ticket = users[i], e.Ticket
			if sess := s.realtime.sessions[e.Presence.SessionID]; sess != nil {
				sess.send(&rtapi.Envelope{Message: &rtapi.Envelope_MatchmakerMatched{MatchmakerMatched: out}})
			}
		}
		s.mu.Unlock()
	}
}

func (s *Server) rtCallMatched(fn MatchmakerMatchedFunc, entries []*MatchmakerEntry) (id string) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Warn("nakamatest: matchmaker matched hook panicked", "panic", v, "stack", string(debug.Stack()))
			id = ""
		}
	}()
	id, err := fn(context.Background(), slices.Clone(entries))
	if err != nil {
		s.log.Warn("nakamatest: matchmaker matched hook failed", "error", err)
		return ""
	}
	return id
}

// signMatchToken returns the token of a matchmaker result: an HS256 JWT of
// the match id ("mid") and expiry ("exp"), signed with the session key.
func signMatchToken(key, matchID string, exp time.Time) string {
	payload, _ := json.Marshal(map[string]any{"mid": matchID, "exp": exp.Unix()})
	signing := encodedJWTHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signing + "." + base64.RawURLEncoding.EncodeToString(hmacSHA256(key, signing))
}

// parseMatchToken verifies a matchmaker token and returns its match id.
func parseMatchToken(key, token string, now time.Time) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(headerJSON, &header) != nil || header.Alg != "HS256" {
		return "", false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, hmacSHA256(key, parts[0]+"."+parts[1])) {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return "", false
	}
	if exp, ok := claims["exp"]; ok {
		n, ok := exp.(json.Number)
		if !ok {
			return "", false
		}
		f, err := strconv.ParseFloat(n.String(), 64)
		if err != nil || !now.Before(time.Unix(int64(f), 0)) {
			return "", false
		}
	}
	mid, ok := claims["mid"].(string)
	return mid, ok
}
