package nakamatest

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func (s *Server) registerTournaments() {
	handle(s, "ListTournaments", s.listTournaments)
	handle(s, "JoinTournament", s.joinTournament)
	handle(s, "WriteTournamentRecord", s.writeTournamentRecord)
	handle(s, "WriteTournamentRecord2", s.writeTournamentRecord)
	handle(s, "DeleteTournamentRecord", s.deleteTournamentRecord)
	handle(s, "ListTournamentRecords", s.listTournamentRecords)
	handle(s, "ListTournamentRecordsAroundOwner", s.listTournamentRecordsAroundOwner)
}

// Tournament describes a tournament for CreateTournament, with the settings
// of the runtime's tournament_create. Zero fields take the runtime's
// defaults, except Duration, which must be positive.
type Tournament struct {
	// ID names the tournament; at most 128 bytes, and not the id of a
	// leaderboard.
	ID string
	// Authoritative tournaments refuse writes and deletes from clients.
	Authoritative bool
	// SortOrder and Operator are as for Leaderboard: "desc" and "best" by
	// default.
	SortOrder string
	Operator  string
	// ResetSchedule is a cron expression (UTC) that starts each period of a
	// recurring tournament; "" means a single period.
	ResetSchedule string
	// Metadata is a JSON object; default "{}".
	Metadata string
	// EnableRanks makes the server track ranks, as for Leaderboard.
	EnableRanks bool

	// Title and Description are free text, at most 255 bytes each.
	Title       string
	Description string
	// Category is 0 to 127; ListTournaments filters on it.
	Category int
	// StartTime is when the tournament opens, in unix seconds; 0 means at
	// creation. EndTime, if not 0, is when it closes for good and must not
	// be before StartTime.
	StartTime int64
	EndTime   int64
	// Duration is how long each period accepts scores, in seconds, counted
	// from the period's start (capped at the next reset and EndTime). It
	// must be positive.
	Duration int
	// MaxSize caps the entrants of a period (0: no cap). MaxNumScore caps
	// each entrant's writes per period (0: the server's 1000000).
	MaxSize     int
	MaxNumScore int
	// JoinRequired makes entrants call JoinTournament before writing.
	JoinRequired bool
}

// Failures of the shared tournament code.
var (
	errTournamentNotFound      = errors.New("tournament not found")
	errTournamentAuthoritative = errors.New("tournament only allows authoritative submissions")
	errOutsideDuration         = errors.New("tournament outside of duration")
	errMaxSizeReached          = errors.New("tournament max size reached")
	errMaxNumScoreReached      = errors.New("max number score count reached")
	errJoinRequired            = errors.New("required to join before writing tournament record")
)

// deadlines returns, for the period current at now (or the first one, if
// the tournament has not started), when it opens for scores, when it stops
// accepting them, and when its records expire: the next reset, capped at
// the end time, or the end time (0 if none) without a reset schedule.
func (b *board) deadlines(now time.Time) (startActive, endActive, expiry int64) {
	n := now.Unix()
	if b.reset == nil {
		endActive = b.startTime + b.duration
		if b.endTime > 0 && endActive > b.endTime {
			endActive = b.endTime
		}
		return b.startTime, endActive, b.endTime
	}
	switch {
	case n < b.startTime:
		startActive = b.reset.next(time.Unix(b.startTime, 0)).Unix()
	case b.reset.next(now.Add(-time.Second)).Unix() == n:
		// A reset fires right now: the new period has begun.
		startActive = n
	default:
		startActive = b.reset.last(now).Unix()
	}
	endActive = startActive + b.duration
	expiry = b.reset.next(time.Unix(startActive, 0)).Unix()
	endActive = min(endActive, expiry)
	if b.startTime > endActive {
		// The tournament starts after this period's active part: its first
		// period is the one after the start time.
		startActive = b.reset.next(time.Unix(b.startTime, 0)).Unix()
		expiry = b.reset.next(time.Unix(startActive, 0)).Unix()
		endActive = min(startActive+b.duration, expiry)
	} else if b.startTime > startActive {
		startActive = b.startTime
	}
	if b.endTime > 0 && expiry > b.endTime {
		expiry = b.endTime
		endActive = min(endActive, expiry)
	}
	return startActive, endActive, expiry
}

// currentSize is the tournament's size: the server zeroes it whenever a
// period expires.
func (b *board) currentSize(now int64) int {
	if b.sizeUntil != 0 && b.sizeUntil <= now {
		return 0
	}
	return b.size
}

func (b *board) addSize(delta int, now time.Time) {
	n := now.Unix()
	b.size = b.currentSize(n) + delta
	b.sizeUntil = 0
	if _, _, expiry := b.deadlines(now); expiry > n {
		b.sizeUntil = expiry
	}
}

// apiTournament is the tournament as ListTournaments shows it. Only a
// tournament with a max size reports its size.
func (b *board) apiTournament(now time.Time) *api.Tournament {
	n := now.Unix()
	startActive, endActive, expiry := b.deadlines(now)
	size := 0
	if b.hasMaxSize() {
		size = b.currentSize(n)
	}
	canEnter := !(startActive > n || endActive < n) && size < b.maxSize
	var prevReset int64
	if b.reset != nil && !time.Unix(b.startTime, 0).After(now) {
		prevReset = b.reset.last(now).Unix()
	}
	t := &api.Tournament{
		Id:            b.id,
		Title:         b.title,
		Description:   b.description,
		Category:      uint32(b.category),
		SortOrder:     uint32(b.sortOrder),
		Size:          uint32(size),
		MaxSize:       uint32(b.maxSize),
		MaxNumScore:   uint32(b.maxNumScore),
		CanEnter:      canEnter,
		EndActive:     uint32(endActive),
		NextReset:     uint32(expiry),
		Metadata:      b.metadata,
		CreateTime:    &timestamppb.Timestamp{Seconds: b.createTime},
		StartTime:     &timestamppb.Timestamp{Seconds: b.startTime},
		Duration:      uint32(b.duration),
		StartActive:   uint32(startActive),
		PrevReset:     uint32(prevReset),
		Operator:      api.Operator(b.operator + 1), // best, set, incr, decr follow NO_OVERRIDE
		Authoritative: b.authoritative,
		JoinRequired:  b.joinRequired,
	}
	if b.endTime != 0 {
		t.EndTime = &timestamppb.Timestamp{Seconds: b.endTime}
	}
	return t
}

// tournamentOrder is the order of the server's tournament list: start time,
// then end time (latest first, no end last), category and id.
func tournamentOrder(x, y *board) int {
	switch {
	case x.startTime != y.startTime:
		return cmp.Compare(x.startTime, y.startTime)
	case x.endTime != y.endTime:
		return cmp.Compare(y.endTime, x.endTime)
	case x.category != y.category:
		return x.category - y.category
	}
	return strings.Compare(x.id, y.id)
}

// tournamentCursor continues a tournament list after the named tournament.
type tournamentCursor struct {
	ID string `json:"id"`
}

func (s *Server) listTournaments(_ context.Context, _ *call, req *api.ListTournamentsRequest) (*api.TournamentList, error) {
	var after *tournamentCursor
	if req.Cursor != "" {
		// The server hands this failure back unwrapped, so it reaches the
		// client as Unknown with the bare error text.
		raw, err := base64.URLEncoding.DecodeString(req.Cursor)
		after = &tournamentCursor{}
		if err != nil || json.Unmarshal(raw, after) != nil {
			return nil, newError(Unknown, "leaderboard cursor invalid")
		}
	}
	categoryStart, categoryEnd := 0, 127
	if req.CategoryStart != nil {
		categoryStart = int(req.CategoryStart.Value)
	}
	if req.CategoryEnd != nil {
		categoryEnd = int(req.CategoryEnd.Value)
		if categoryEnd >= 128 {
			return nil, newError(InvalidArgument, "Tournament category end must be >=0 and <128.")
		}
		if categoryEnd < categoryStart {
			return nil, newError(InvalidArgument, "Tournament category end must be greater than category start.")
		}
	}
	// -1: no filter. An end time of 0 asks for tournaments that never end;
	// without an end time, tournaments that have ended are left out.
	startTime, endTime := int64(-1), int64(-1)
	if req.StartTime != nil {
		startTime = int64(req.StartTime.Value)
	}
	if req.EndTime != nil {
		endTime = int64(req.EndTime.Value)
		if endTime != 0 && endTime < startTime {
			return nil, newError(InvalidArgument, "Tournament end time must be greater than start time.")
		}
	}
	limit := 100
	if req.Limit != nil {
		limit = int(req.Limit.Value)
		if limit < 1 || limit > 100 {
			return nil, newError(InvalidArgument, "Limit must be between 1 and 100.")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	n := now.Unix()
	var all []*board
	for _, b := range s.leaderboards.boards {
		if b.isTournament() {
			all = append(all, b)
		}
	}
	slices.SortFunc(all, tournamentOrder)
	out := &api.TournamentList{Tournaments: []*api.Tournament{}}
	var last string
	skipping := after != nil
	for _, b := range all {
		if skipping {
			skipping = b.id != after.ID
			continue
		}
		switch {
		case b.category < categoryStart || b.category > categoryEnd:
			continue
		case b.startTime < startTime:
			continue
		case endTime == 0 && b.endTime != 0,
			endTime == -1 && b.endTime != 0 && b.endTime < n,
			endTime > 0 && (b.endTime == 0 || b.endTime > endTime):
			continue
		}
		if len(out.Tournaments) >= limit {
			c, _ := json.Marshal(tournamentCursor{ID: last})
			out.Cursor = base64.URLEncoding.EncodeToString(c)
			break
		}
		out.Tournaments = append(out.Tournaments, b.apiTournament(now))
		last = b.id
	}
	return out, nil
}

func (s *Server) joinTournament(_ context.Context, c *call, req *api.JoinTournamentRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[req.TournamentId]
	if b == nil || !b.isTournament() {
		return nil, newError(NotFound, "Tournament not found.")
	}
	if !b.joinRequired {
		return &emptypb.Empty{}, nil // nothing to join
	}
	now := s.clock.now()
	n := now.Unix()
	// Joining ahead of the start is allowed; only a closed period refuses.
	_, endActive, expiry := b.deadlines(now)
	if endActive <= n {
		return nil, newError(InvalidArgument, "Tournament is not active and cannot accept new joins.")
	}
	period := b.period(expiry)
	if period[c.userID] != nil {
		return &emptypb.Empty{}, nil // joined already
	}
	if b.hasMaxSize() {
		if b.currentSize(n) >= b.maxSize {
			return nil, newError(InvalidArgument, "Tournament cannot be joined as it has reached its max size.")
		}
		b.addSize(1, now)
	}
	period[c.userID] = &lbRecord{owner: c.userID, username: c.username, numScore: 0, maxNumScore: int32(b.maxNumScore),
		metadata: "{}", createTime: n, updateTime: n, expiry: expiry}
	return &emptypb.Empty{}, nil
}

// writeTournament writes a score as the server's tournament write does:
// within the active part of a period only, after joining where required,
// and within the entrant and attempt limits. Unlike a leaderboard write,
// every accepted write counts as an attempt, improving or not; except that
// a joined entrant out of attempts gets the record back unchanged.
func (s *Server) writeTournament(b *board, byClient bool, owner, username string, score, subscore int64, metadata string, override api.Operator, now time.Time) (*api.LeaderboardRecord, error) {
	if !b.isTournament() {
		return nil, errTournamentNotFound
	}
	if b.authoritative && byClient {
		return nil, errTournamentAuthoritative
	}
	n := now.Unix()
	startActive, endActive, expiry := b.deadlines(now)
	if startActive > n || endActive <= n {
		return nil, errOutsideDuration
	}
	operator, metadata, err := b.writeOptions(override, metadata)
	if err != nil {
		return nil, err
	}
	period := b.period(expiry)
	r := period[owner]
	switch {
	case b.joinRequired:
		if r == nil {
			return nil, errJoinRequired
		}
		if r.maxNumScore == 0 || r.numScore < r.maxNumScore {
			ns, nsub, err := b.combine(operator, r, score, subscore)
			if err != nil {
				return nil, err
			}
			r.update(ns, nsub, metadata, username, n)
		}
	case r == nil:
		startScore, startSub, err := insertValues(operator, score, subscore)
		if err != nil {
			return nil, err
		}
		if b.hasMaxSize() {
			if b.currentSize(n) >= b.maxSize {
				return nil, errMaxSizeReached
			}
			b.addSize(1, now)
		}
		r = &lbRecord{owner: owner, username: username, score: startScore, subscore: startSub, numScore: 1,
			maxNumScore: int32(b.maxNumScore), metadata: "{}", createTime: n, updateTime: n, expiry: expiry}
		if metadata != "" {
			r.metadata = metadata
		}
		period[owner] = r
	default:
		if _, _, err := insertValues(operator, score, subscore); err != nil {
			return nil, err
		}
		ns, nsub, err := b.combine(operator, r, score, subscore)
		if err != nil {
			return nil, err
		}
		if r.maxNumScore > 0 && r.numScore+1 > r.maxNumScore {
			return nil, errMaxNumScoreReached
		}
		if b.hasMaxSize() && r.numScore+1 <= 1 {
			if b.currentSize(n) >= b.maxSize {
				return nil, errMaxSizeReached
			}
			b.addSize(1, now)
		}
		r.update(ns, nsub, metadata, username, n)
	}
	rec := r.api(b.id)
	rec.Rank = b.rankOf(expiry, owner, n)
	return rec, nil
}

// tournamentWriteError is the API's answer to a failed tournament write.
func tournamentWriteError(err error) *Error {
	switch {
	case errors.Is(err, errMaxSizeReached):
		return newError(FailedPrecondition, "Tournament has reached max size.")
	case errors.Is(err, errTournamentAuthoritative):
		return newError(PermissionDenied, "Tournament only allows authoritative score submissions.")
	case errors.Is(err, errMaxNumScoreReached):
		return newError(FailedPrecondition, "Reached allowed max number of score attempts.")
	case errors.Is(err, errJoinRequired):
		return newError(FailedPrecondition, "Must join tournament before attempting to write value.")
	case errors.Is(err, errOutsideDuration):
		return newError(FailedPrecondition, "Tournament is not active and cannot accept new scores.")
	}
	// A leaderboard's id included: the server's API layer has no case for it.
	return newError(Internal, "Error writing score to tournament.")
}

func (s *Server) writeTournamentRecord(_ context.Context, c *call, req *api.WriteTournamentRecordRequest) (*api.LeaderboardRecord, error) {
	switch {
	case req.TournamentId == "":
		return nil, newError(InvalidArgument, "Tournament ID must be provided.")
	case req.Record == nil:
		return nil, newError(InvalidArgument, "Invalid input, record score value is required.")
	case !validRecordMetadata(req.Record.Metadata):
		return nil, newError(InvalidArgument, "Metadata value must be JSON, if provided.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	b := s.leaderboards.boards[req.TournamentId]
	if b == nil {
		return nil, newError(NotFound, "Tournament not found.")
	}
	if b.endTime > 0 && b.endTime <= now.Unix() {
		return nil, newError(NotFound, "Tournament not found or has ended.")
	}
	rec, err := s.writeTournament(b, true, c.userID, c.username, req.Record.Score, req.Record.Subscore,
		req.Record.Metadata, req.Record.Operator, now)
	if err != nil {
		return nil, tournamentWriteError(err)
	}
	return rec, nil
}

func (s *Server) deleteTournamentRecord(_ context.Context, c *call, req *api.DeleteTournamentRecordRequest) (*emptypb.Empty, error) {
	if req.TournamentId == "" {
		return nil, newError(InvalidArgument, "Invalid tournament ID.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[req.TournamentId]
	// The real server's API layer maps only the leaderboard errors to
	// NotFound and PermissionDenied, but its tournament delete returns the
	// runtime's tournament errors, so a missing or authoritative tournament
	// falls through to Internal (seen on a real 3.40 server).
	if b == nil || !b.isTournament() || b.authoritative {
		return nil, newError(Internal, "Error deleting score from tournament.")
	}
	now := s.clock.now()
	_, _, expiry := b.deadlines(now)
	period := b.records[expiry]
	if period[c.userID] != nil {
		delete(period, c.userID)
		if b.hasMaxSize() {
			b.addSize(-1, now)
		}
	}
	return &emptypb.Empty{}, nil
}

func (s *Server) listTournamentRecords(_ context.Context, _ *call, req *api.ListTournamentRecordsRequest) (*api.TournamentRecordList, error) {
	if req.TournamentId == "" {
		return nil, newError(InvalidArgument, "Tournament ID must be provided")
	}
	owners, ok := canonicalOwners(req.OwnerIds)
	if !ok {
		return nil, newError(InvalidArgument, "One or more owner IDs are invalid.")
	}
	// Without a limit the server lists ten records, unless the call gives
	// both owners and a cursor (then it lists none).
	limit := 0
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
		}
		limit = int(req.Limit.Value)
	} else if len(req.OwnerIds) == 0 || req.Cursor == "" {
		limit = 10
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[req.TournamentId]
	if b == nil || !b.isTournament() {
		return nil, newError(NotFound, "Tournament not found.")
	}
	now := s.clock.now()
	override := req.GetExpiry().GetValue()
	if override == 0 && b.endTime > 0 && b.endTime <= now.Unix() {
		return nil, newError(NotFound, "Tournament has ended.")
	}
	list, err := s.listRecords(b, limit, req.Cursor, owners, override, now)
	switch {
	case errors.Is(err, errCursorInvalid):
		return nil, newError(InvalidArgument, "Cursor is invalid or expired.")
	case err != nil:
		return nil, newError(Internal, "Error listing records from tournament.")
	}
	return &api.TournamentRecordList{Records: list.Records, OwnerRecords: list.OwnerRecords,
		NextCursor: list.NextCursor, PrevCursor: list.PrevCursor, RankCount: list.RankCount}, nil
}

func (s *Server) listTournamentRecordsAroundOwner(_ context.Context, _ *call, req *api.ListTournamentRecordsAroundOwnerRequest) (*api.TournamentRecordList, error) {
	if req.TournamentId == "" {
		return nil, newError(InvalidArgument, "Invalid tournament ID.")
	}
	limit, owner, err := haystackArgs(req.Limit, 100, req.OwnerId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[req.TournamentId]
	if b == nil || !b.isTournament() {
		return nil, newError(NotFound, "Tournament not found.")
	}
	list, err := s.haystack(b, owner, limit, req.Cursor, req.GetExpiry().GetValue(), s.clock.now())
	if err != nil {
		return nil, newError(Internal, "Error querying records from leaderboard.")
	}
	// The server fills both cursors of this answer from the next cursor.
	return &api.TournamentRecordList{Records: list.Records, NextCursor: list.NextCursor,
		PrevCursor: list.NextCursor, RankCount: list.RankCount}, nil
}

// CreateTournament creates a tournament as the runtime's tournament_create
// does (the Go runtime's checks and messages). Creating an id that is
// already a tournament changes nothing and succeeds; the id of a
// leaderboard fails. The configuration is checked first either way: sort
// order, operator, cron schedule, metadata, category 0-127, non-negative
// times and limits, EndTime not before StartTime nor at or before the
// schedule's first reset after StartTime, and a positive Duration.
func (s *Server) CreateTournament(t Tournament) error {
	fail := func(msg string) error { return errors.New("nakamatest: " + msg) }
	if t.ID == "" {
		return fail("expects a tournament ID string")
	}
	sortOrder, err := parseSortOrder(t.SortOrder)
	if err != nil {
		return err
	}
	operator, err := parseOperator(t.Operator)
	if err != nil {
		return err
	}
	var reset *cronSchedule
	if t.ResetSchedule != "" {
		if reset, err = parseCron(t.ResetSchedule); err != nil {
			return fail("expects reset schedule to be a valid CRON expression")
		}
	}
	metadata, err := runtimeMetadata(t.Metadata)
	if err != nil {
		return err
	}
	switch {
	case t.Category < 0 || t.Category >= 128:
		return fail("category must be 0-127")
	case t.StartTime < 0:
		return fail("startTime must be >= 0")
	case t.EndTime < 0:
		return fail("endTime must be >= 0")
	case t.EndTime != 0 && t.EndTime < t.StartTime:
		return fail("endTime must be >= startTime")
	case t.Duration <= 0:
		return fail("duration must be > 0")
	case t.MaxSize < 0:
		return fail("maxSize must be >= 0")
	case t.MaxNumScore < 0:
		return fail("maxNumScore must be >= 0")
	}
	if reset != nil && t.EndTime > 0 && t.EndTime <= reset.next(time.Unix(t.StartTime, 0)).Unix() {
		return fail("tournament end time cannot be before first reset schedule - either increase end time or change/disable reset schedule")
	}
	if metadata, err = pgJSONB(metadata); err != nil {
		return fail("metadata: " + err.Error())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if existing := s.leaderboards.boards[t.ID]; existing != nil {
		if existing.isTournament() {
			return nil
		}
		return fail("cannot create tournament as leaderboard is already in use")
	}
	if len(t.ID) > 128 || len(t.ResetSchedule) > 64 || len(t.Title) > 255 || len(t.Description) > 255 {
		return fail("value too long for the leaderboard table (id 128, reset schedule 64, title and description 255 bytes)")
	}
	now := s.clock.now().Unix()
	b := &board{
		id: t.ID, authoritative: t.Authoritative, sortOrder: sortOrder, operator: operator,
		reset: reset, metadata: metadata, createTime: now, resetMark: now, enableRanks: t.EnableRanks,
		title: t.Title, description: t.Description, category: t.Category, duration: int64(t.Duration),
		startTime: t.StartTime, endTime: t.EndTime, joinRequired: t.JoinRequired,
		maxSize: t.MaxSize, maxNumScore: t.MaxNumScore, records: map[int64]map[string]*lbRecord{},
	}
	if b.startTime == 0 {
		b.startTime = now
	}
	if b.maxSize == 0 {
		b.maxSize = unlimitedSize
	}
	if b.maxNumScore == 0 {
		b.maxNumScore = defaultMaxNumScore
	}
	s.leaderboards.boards[t.ID] = b
	s.wakeResets()
	return nil
}

// DeleteTournament deletes a tournament and its records, as the runtime's
// tournament_delete does; an id that is not a tournament is left alone.
func (s *Server) DeleteTournament(id string) error {
	if id == "" {
		return errors.New("nakamatest: expects a tournament ID string")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.leaderboards.boards[id]; b != nil && b.isTournament() {
		delete(s.leaderboards.boards, id)
	}
	return nil
}

// TournamentInfo returns the tournament as ListTournaments shows it now,
// and whether it exists.
func (s *Server) TournamentInfo(id string) (*api.Tournament, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[id]
	if b == nil || !b.isTournament() {
		return nil, false
	}
	return b.apiTournament(s.clock.now()), true
}

// WriteTournamentRecord writes a record as the runtime's
// tournament_record_write does: like a client write, but allowed on
// authoritative tournaments and without the API's end time check (the
// active window still applies). It fails with the *Error a client write
// would get.
func (s *Server) WriteTournamentRecord(id string, w RecordWrite) (*api.LeaderboardRecord, error) {
	owner, metadata, err := w.check()
	if err != nil {
		return nil, err
	}
	if metadata == "" {
		metadata = "{}"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[id]
	if b == nil || !b.isTournament() {
		return nil, newError(NotFound, "Tournament not found.")
	}
	rec, err := s.writeTournament(b, false, owner, w.Username, w.Score, w.Subscore, metadata, w.Operator, s.clock.now())
	if err != nil {
		return nil, tournamentWriteError(err)
	}
	return rec, nil
}

// TournamentAddAttempt changes how many writes the owner's record in the
// current period allows, by count (negative to take attempts away), as the
// runtime's tournament_add_attempt does. A change that would leave no
// attempt at all is silently dropped, as on the server; an owner without a
// record is left alone.
func (s *Server) TournamentAddAttempt(id, ownerID string, count int) error {
	owner, ok := parseUUID(ownerID)
	switch {
	case id == "":
		return errors.New("nakamatest: expects a tournament ID string")
	case !ok:
		return errors.New("nakamatest: expects owner ID to be a valid identifier")
	case count == 0:
		return errors.New("nakamatest: expects an attempt count number != 0")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[id]
	if b == nil || !b.isTournament() {
		return newError(NotFound, "Tournament not found.")
	}
	now := s.clock.now()
	_, endActive, expiry := b.deadlines(now)
	if endActive <= now.Unix() {
		return newError(FailedPrecondition, "Tournament is not active and cannot accept new scores.")
	}
	if r := b.records[expiry][owner]; r != nil && int64(r.maxNumScore)+int64(count) > 0 {
		r.maxNumScore += int32(count)
	}
	return nil
}
