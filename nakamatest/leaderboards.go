package nakamatest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func (s *Server) registerLeaderboards() {
	s.leaderboards.boards = make(map[string]*board)
	s.st.userDeleted = append(s.st.userDeleted, s.leaderboards.dropOwner)
	handle(s, "WriteLeaderboardRecord", s.writeLeaderboardRecord)
	handle(s, "DeleteLeaderboardRecord", s.deleteLeaderboardRecord)
	handle(s, "ListLeaderboardRecords", s.listLeaderboardRecords)
	handle(s, "ListLeaderboardRecordsAroundOwner", s.listLeaderboardRecordsAroundOwner)
}

// Leaderboard describes a leaderboard for CreateLeaderboard, with the
// settings of the runtime's leaderboard_create. Zero fields take the
// runtime's defaults.
type Leaderboard struct {
	// ID names the leaderboard; at most 128 bytes.
	ID string
	// Authoritative leaderboards refuse writes and deletes from clients;
	// only the direct API (the server side) may change them.
	Authoritative bool
	// SortOrder is "desc" (the default: higher scores rank first) or "asc";
	// "descending" and "ascending" also work.
	SortOrder string
	// Operator combines a new score with the owner's record: "best" (the
	// default), "set", "incr" or "decr" ("increment" and "decrement" also
	// work).
	Operator string
	// ResetSchedule is a cron expression (UTC): each time it fires, a new
	// period starts and the records of the previous one leave the current
	// listing. "" never resets.
	ResetSchedule string
	// Metadata is a JSON object; default "{}".
	Metadata string
	// EnableRanks makes the server track ranks: without it, owner records,
	// records around an owner and written records carry rank 0, and
	// rank_count is 0.
	EnableRanks bool
}

// The server's numbering of sort orders and operators.
const (
	sortAscending  = 0
	sortDescending = 1

	operatorBest = 0
	operatorSet  = 1
	operatorIncr = 2
	operatorDecr = 3
)

const (
	// defaultMaxNumScore is the column default for a record's and a
	// tournament's max_num_score.
	defaultMaxNumScore = 1000000
	// unlimitedSize is the max_size the server stores for a tournament
	// created without one.
	unlimitedSize = math.MaxInt32
)

// leaderboardsState holds leaderboards and tournaments, which share one id
// space as they share one table on the server.
type leaderboardsState struct {
	boards map[string]*board
}

// board is a leaderboard or, when duration is not zero, a tournament.
type board struct {
	id            string
	authoritative bool
	sortOrder     int
	operator      int
	reset         *cronSchedule
	metadata      string
	createTime    int64
	enableRanks   bool
	resetMark     int64 // its resets and ends up to this second have fired (see resetState)

	// Tournament settings.
	title        string
	description  string
	category     int
	duration     int64
	startTime    int64
	endTime      int64 // 0: never ends
	joinRequired bool
	maxSize      int
	maxNumScore  int

	// size counts the current period's entrants of a tournament with a max
	// size. The server zeroes it whenever a period expires; sizeUntil is
	// that expiry (0: it never resets).
	size      int
	sizeUntil int64

	// records holds every period's records, by expiry (0: the leaderboard
	// never resets) and owner. Expired periods stay, as in the database,
	// and can still be listed by their expiry.
	records map[int64]map[string]*lbRecord
}

func (b *board) isTournament() bool { return b.duration != 0 }
func (b *board) hasMaxSize() bool   { return b.maxSize != unlimitedSize }

// lbRecord is one owner's record for one period.
type lbRecord struct {
	owner       string
	username    string // "": NULL
	score       int64
	subscore    int64
	numScore    int32
	maxNumScore int32
	metadata    string
	createTime  int64
	updateTime  int64
	expiry      int64
}

func (r *lbRecord) api(boardID string) *api.LeaderboardRecord {
	out := &api.LeaderboardRecord{
		LeaderboardId: boardID,
		OwnerId:       r.owner,
		Score:         r.score,
		Subscore:      r.subscore,
		NumScore:      r.numScore,
		MaxNumScore:   uint32(r.maxNumScore),
		Metadata:      r.metadata,
		CreateTime:    &timestamppb.Timestamp{Seconds: r.createTime},
		UpdateTime:    &timestamppb.Timestamp{Seconds: r.updateTime},
	}
	if r.username != "" {
		out.Username = wrapperspb.String(r.username)
	}
	if r.expiry != 0 {
		out.ExpiryTime = &timestamppb.Timestamp{Seconds: r.expiry}
	}
	return out
}

// update applies a write the record takes: the new score and subscore, one
// more attempt, the update time, and the metadata and username when given.
func (r *lbRecord) update(score, subscore int64, metadata, username string, now int64) {
	r.score, r.subscore = score, subscore
	r.numScore++
	if metadata != "" {
		r.metadata = metadata
	}
	if username != "" {
		r.username = username
	}
	r.updateTime = now
}

// Failures of the shared leaderboard code; each handler turns them into its
// own code and message, as the server's API layer does.
var (
	errBoardAuthoritative = errors.New("leaderboard only allows authoritative submissions")
	errInvalidOperator    = errors.New("invalid operator")
	errCursorInvalid      = errors.New("leaderboard cursor invalid")
	// errStore stands for a database error: a constraint the row breaks
	// (negative scores, out-of-range arithmetic) or JSON the database will
	// not store.
	errStore = errors.New("database refused the record")
)

func (st *leaderboardsState) dropOwner(userID string) {
	for _, b := range st.boards {
		for _, period := range b.records {
			delete(period, userID)
		}
	}
}

func (b *board) period(expiry int64) map[string]*lbRecord {
	p := b.records[expiry]
	if p == nil {
		p = make(map[string]*lbRecord)
		b.records[expiry] = p
	}
	return p
}

// recordKeyLess orders records by (score, subscore, owner id) ascending, the
// tuple order of the server's index and cursors. Canonical UUID strings
// compare as the UUIDs' bytes do.
func recordKeyLess(aScore, aSub int64, aOwner string, bScore, bSub int64, bOwner string) bool {
	if aScore != bScore {
		return aScore < bScore
	}
	if aSub != bSub {
		return aSub < bSub
	}
	return aOwner < bOwner
}

// ascending returns a period's records in ascending key order.
func (b *board) ascending(expiry int64) []*lbRecord {
	recs := make([]*lbRecord, 0, len(b.records[expiry]))
	for _, r := range b.records[expiry] {
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(x, y *lbRecord) int {
		switch {
		case recordKeyLess(x.score, x.subscore, x.owner, y.score, y.subscore, y.owner):
			return -1
		case recordKeyLess(y.score, y.subscore, y.owner, x.score, x.subscore, x.owner):
			return 1
		}
		return 0
	})
	return recs
}

// ordered returns a period's records best first.
func (b *board) ordered(expiry int64) []*lbRecord {
	recs := b.ascending(expiry)
	if b.sortOrder == sortDescending {
		slices.Reverse(recs)
	}
	return recs
}

// ranked reports whether the server's rank cache knows the period: ranks
// must be enabled, and the cache drops a period once it expires.
func (b *board) ranked(expiry int64, now int64) bool {
	return b.enableRanks && (expiry == 0 || expiry > now)
}

// rankOf is the owner's rank in the period as the rank cache reports it:
// 0 when ranks are not tracked or the owner has no record.
func (b *board) rankOf(expiry int64, owner string, now int64) int64 {
	if !b.ranked(expiry, now) {
		return 0
	}
	for i, r := range b.ordered(expiry) {
		if r.owner == owner {
			return int64(i + 1)
		}
	}
	return 0
}

// fillRanks sets the ranks of records of one period, as the rank cache
// fills them in, and returns the rank count.
func (b *board) fillRanks(expiry int64, recs []*api.LeaderboardRecord, now int64) int64 {
	if !b.ranked(expiry, now) {
		return 0
	}
	pos := make(map[string]int64, len(b.records[expiry]))
	for i, r := range b.ordered(expiry) {
		pos[r.owner] = int64(i + 1)
	}
	for _, r := range recs {
		r.Rank = pos[r.OwnerId]
	}
	return int64(len(pos))
}

// resetExpiry is the expiry of the current period of a leaderboard as the
// write and delete paths compute it: the next reset, or 0.
func (b *board) resetExpiry(now time.Time) int64 {
	if b.reset == nil {
		return 0
	}
	return b.reset.next(now).Unix()
}

// listingExpiry is the period a listing shows: the one asked for, or the
// current one; false when the current one has already expired (a
// tournament past its end).
func (b *board) listingExpiry(override int64, now time.Time) (int64, bool) {
	if override != 0 {
		return override, true
	}
	if b.isTournament() {
		_, _, expiry := b.deadlines(now)
		if expiry != 0 && expiry <= now.Unix() {
			return 0, false
		}
		return expiry, true
	}
	return b.resetExpiry(now), true
}

// recordCursor is the state a records cursor carries: the key of the
// record it continues from, its rank, and the direction. It is opaque to
// clients (base64 of JSON here, of gob on the server).
type recordCursor struct {
	IsNext   bool   `json:"n"`
	Board    string `json:"b"`
	Expiry   int64  `json:"e"`
	Score    int64  `json:"s"`
	Subscore int64  `json:"u"`
	Owner    string `json:"o"`
	Rank     int64  `json:"r"`
}

func (c *recordCursor) encode() string {
	b, _ := json.Marshal(c) // plain fields: cannot fail
	return base64.URLEncoding.EncodeToString(b)
}

func cursorFrom(isNext bool, boardID string, expiry int64, r *api.LeaderboardRecord) *recordCursor {
	return &recordCursor{IsNext: isNext, Board: boardID, Expiry: expiry, Score: r.Score,
		Subscore: r.Subscore, Owner: r.OwnerId, Rank: r.Rank}
}

// decodeRecordCursor reads a cursor, which must belong to this leaderboard
// and period: one from before a reset no longer works.
func decodeRecordCursor(s, boardID string, expiry int64) (*recordCursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		return nil, errCursorInvalid
	}
	c := &recordCursor{}
	if err := json.Unmarshal(raw, c); err != nil || c.Board != boardID || c.Expiry != expiry {
		return nil, errCursorInvalid
	}
	return c, nil
}

// listRecords lists a period's records (a page of limit records when limit
// is positive) and the given owners' records. Pages follow the server's
// keyset cursors: ranks count on from the cursor's, a previous page comes
// back in leaderboard order, and a page reached through a cursor always
// has a previous cursor.
func (s *Server) listRecords(b *board, limit int, cursor string, owners []string, override int64, now time.Time) (*api.LeaderboardRecordList, error) {
	expiry, possible := b.listingExpiry(override, now)
	if !possible {
		return &api.LeaderboardRecordList{}, nil
	}
	out := &api.LeaderboardRecordList{Records: []*api.LeaderboardRecord{}, OwnerRecords: []*api.LeaderboardRecord{}}
	if limit > 0 {
		in, err := decodeRecordCursor(cursor, b.id, expiry)
		if err != nil {
			return nil, err
		}
		asc := b.ascending(expiry)
		var rows []*lbRecord
		switch {
		case in == nil:
			rows = b.ordered(expiry)
		case (b.sortOrder == sortAscending) == in.IsNext:
			for _, r := range asc {
				if recordKeyLess(in.Score, in.Subscore, in.Owner, r.score, r.subscore, r.owner) {
					rows = append(rows, r)
				}
			}
		default:
			for i := len(asc) - 1; i >= 0; i-- {
				r := asc[i]
				if recordKeyLess(r.score, r.subscore, r.owner, in.Score, in.Subscore, in.Owner) {
					rows = append(rows, r)
				}
			}
		}
		backwards := in != nil && !in.IsNext
		var rank int64
		if in != nil {
			rank = in.Rank
		}
		var next, prev *recordCursor
		for _, r := range rows {
			if len(out.Records) >= limit {
				next = cursorFrom(true, b.id, expiry, out.Records[len(out.Records)-1])
				break
			}
			if backwards {
				rank--
			} else {
				rank++
			}
			rec := r.api(b.id)
			rec.Rank = rank
			out.Records = append(out.Records, rec)
			if in != nil && prev == nil {
				prev = cursorFrom(false, b.id, expiry, rec)
			}
		}
		if backwards {
			// Read backwards from the cursor: put the page in leaderboard
			// order and turn the cursors around.
			next, prev = prev, next
			if next != nil {
				next.IsNext = true
			}
			if prev != nil {
				prev.IsNext = false
			}
			slices.Reverse(out.Records)
		}
		if next != nil {
			out.NextCursor = next.encode()
		}
		if prev != nil {
			out.PrevCursor = prev.encode()
		}
	}
	if len(owners) > 0 {
		period := b.records[expiry]
		seen := map[string]bool{}
		for _, id := range owners {
			if r := period[id]; r != nil && !seen[id] {
				seen[id] = true
				out.OwnerRecords = append(out.OwnerRecords, r.api(b.id))
			}
		}
		slices.SortFunc(out.OwnerRecords, func(x, y *api.LeaderboardRecord) int {
			less := recordKeyLess(x.Score, x.Subscore, x.OwnerId, y.Score, y.Subscore, y.OwnerId)
			if b.sortOrder == sortDescending {
				less = recordKeyLess(y.Score, y.Subscore, y.OwnerId, x.Score, x.Subscore, x.OwnerId)
			}
			if less {
				return -1
			}
			return 1
		})
	}
	out.RankCount = b.fillRanks(expiry, out.OwnerRecords, now.Unix())
	return out, nil
}

// haystack lists the records around an owner's in the period a listing
// shows (see listingExpiry), with the server's window: up to limit
// records, the owner's placed so that about half of the rest rank below it
// when there are enough of them. With a cursor it is a plain page of the
// listing. An owner without a record gets an empty list.
func (s *Server) haystack(b *board, owner string, limit int, cursor string, override int64, now time.Time) (*api.LeaderboardRecordList, error) {
	expiry, possible := b.listingExpiry(override, now)
	if !possible {
		return &api.LeaderboardRecordList{Records: []*api.LeaderboardRecord{}}, nil
	}
	if cursor != "" {
		return s.listRecords(b, limit, cursor, nil, expiry, now)
	}
	ordered := b.ordered(expiry)
	pos := slices.IndexFunc(ordered, func(r *lbRecord) bool { return r.owner == owner })
	if pos < 0 {
		return &api.LeaderboardRecordList{Records: []*api.LeaderboardRecord{}}, nil
	}
	// Above: up to limit records ranking better; one more tells whether
	// there is anything beyond them.
	above := ordered[max(0, pos-limit-1):pos]
	hasPrev := false
	if len(above) > limit {
		hasPrev = true
		above = above[1:]
	}
	belowLimit := limit / 2
	if len(above) < belowLimit {
		belowLimit = limit - len(above)
	}
	below := ordered[pos+1 : min(len(ordered), pos+1+belowLimit+1)]
	hasNext := false
	if len(below) > belowLimit {
		hasNext = true
		below = below[:belowLimit]
	}
	window := slices.Concat(above, []*lbRecord{ordered[pos]}, below)
	start := len(window) - limit
	if start < 0 || len(above) < belowLimit {
		start = 0
	}
	end := min(start+limit, len(window))
	if start > 0 {
		hasPrev = true
	}
	window = window[start:end]

	out := &api.LeaderboardRecordList{Records: make([]*api.LeaderboardRecord, 0, len(window))}
	for _, r := range window {
		out.Records = append(out.Records, r.api(b.id))
	}
	out.RankCount = b.fillRanks(expiry, out.Records, now.Unix())
	if hasPrev {
		out.PrevCursor = cursorFrom(false, b.id, expiry, out.Records[0]).encode()
	}
	if hasNext {
		out.NextCursor = cursorFrom(true, b.id, expiry, out.Records[len(out.Records)-1]).encode()
	}
	return out, nil
}

// resolveOperator applies a write's operator override.
func (b *board) resolveOperator(override api.Operator) (int, error) {
	switch override {
	case api.Operator_NO_OVERRIDE:
		return b.operator, nil
	case api.Operator_BEST:
		return operatorBest, nil
	case api.Operator_SET:
		return operatorSet, nil
	case api.Operator_INCREMENT:
		return operatorIncr, nil
	case api.Operator_DECREMENT:
		return operatorDecr, nil
	}
	return 0, errInvalidOperator
}

// writeOptions resolves a write's operator and turns its metadata into the
// text the database stores ("" leaves the record's as it is), for the
// leaderboard and the tournament write alike.
func (b *board) writeOptions(override api.Operator, metadata string) (int, string, error) {
	operator, err := b.resolveOperator(override)
	if err != nil {
		return 0, "", err
	}
	if metadata != "" {
		if metadata, err = pgJSONB(metadata); err != nil {
			return 0, "", errStore
		}
	}
	return operator, metadata, nil
}

// combine computes a record's new score and subscore from a write, as the
// server's update does; the database refuses negative or overflowing
// values.
func (b *board) combine(operator int, r *lbRecord, score, subscore int64) (int64, int64, error) {
	var ns, nsub int64
	var ok1, ok2 = true, true
	switch operator {
	case operatorIncr:
		ns, ok1 = addInt64(r.score, score)
		nsub, ok2 = addInt64(r.subscore, subscore)
	case operatorDecr:
		ns, ok1 = addInt64(r.score, -score)
		nsub, ok2 = addInt64(r.subscore, -subscore)
		ok1 = ok1 && score != math.MinInt64
		ok2 = ok2 && subscore != math.MinInt64
		ns, nsub = max(ns, 0), max(nsub, 0)
	case operatorSet:
		ns, nsub = score, subscore
	default:
		if b.sortOrder == sortAscending {
			ns, nsub = min(r.score, score), min(r.subscore, subscore)
		} else {
			ns, nsub = max(r.score, score), max(r.subscore, subscore)
		}
	}
	if !ok1 || !ok2 || ns < 0 || nsub < 0 {
		return 0, 0, errStore
	}
	return ns, nsub, nil
}

func addInt64(a, b int64) (int64, bool) {
	c := a + b
	return c, (c > a) == (b > 0) || b == 0
}

// insertValues is what a new record starts with: a decrement starts from
// zero. The database checks these values even when the row already exists.
func insertValues(operator int, score, subscore int64) (int64, int64, error) {
	if operator == operatorDecr {
		return 0, 0, nil
	}
	if score < 0 || subscore < 0 {
		return 0, 0, errStore
	}
	return score, subscore, nil
}

// writeLeaderboard writes a score as the server's leaderboard write does.
// byClient is false for the direct API, which may write to authoritative
// leaderboards. A write that does not improve (best), change (set) or move
// (incr, decr) the record leaves it untouched, num_score included.
func (s *Server) writeLeaderboard(b *board, byClient bool, owner, username string, score, subscore int64, metadata string, override api.Operator, now time.Time) (*api.LeaderboardRecord, error) {
	if b.authoritative && byClient {
		return nil, errBoardAuthoritative
	}
	expiry := b.resetExpiry(now)
	operator, metadata, err := b.writeOptions(override, metadata)
	if err != nil {
		return nil, err
	}
	startScore, startSub, err := insertValues(operator, score, subscore)
	if err != nil {
		return nil, err
	}
	period := b.period(expiry)
	r := period[owner]
	nowUnix := now.Unix()
	if r == nil {
		r = &lbRecord{owner: owner, username: username, score: startScore, subscore: startSub, numScore: 1,
			maxNumScore: defaultMaxNumScore, metadata: "{}", createTime: nowUnix, updateTime: nowUnix, expiry: expiry}
		if metadata != "" {
			r.metadata = metadata
		}
		period[owner] = r
	} else {
		var changes bool
		switch operator {
		case operatorIncr, operatorDecr:
			changes = score != 0 || subscore != 0
		case operatorSet:
			changes = r.score != score || r.subscore != subscore
		default:
			if b.sortOrder == sortAscending {
				changes = r.score > score || r.subscore > subscore
			} else {
				changes = r.score < score || r.subscore < subscore
			}
		}
		if changes {
			ns, nsub, err := b.combine(operator, r, score, subscore)
			if err != nil {
				return nil, err
			}
			r.update(ns, nsub, metadata, username, nowUnix)
		}
	}
	rec := r.api(b.id)
	rec.Rank = b.rankOf(expiry, owner, nowUnix)
	return rec, nil
}

// validRecordMetadata is the API's check on a record's metadata: empty, or
// a JSON object.
func validRecordMetadata(m string) bool {
	if m == "" {
		return true
	}
	return json.Valid([]byte(m)) && bytes.TrimSpace([]byte(m))[0] == '{'
}

func (s *Server) writeLeaderboardRecord(_ context.Context, c *call, req *api.WriteLeaderboardRecordRequest) (*api.LeaderboardRecord, error) {
	switch {
	case req.LeaderboardId == "":
		return nil, newError(InvalidArgument, "Invalid leaderboard ID.")
	case req.Record == nil:
		return nil, newError(InvalidArgument, "Invalid input, record score value is required.")
	case !validRecordMetadata(req.Record.Metadata):
		return nil, newError(InvalidArgument, "Metadata value must be JSON, if provided.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Any board will do, tournaments included: the server's leaderboard
	// write does not tell them apart.
	b := s.leaderboards.boards[req.LeaderboardId]
	if b == nil {
		return nil, newError(NotFound, "Leaderboard not found.")
	}
	rec, err := s.writeLeaderboard(b, true, c.userID, c.username, req.Record.Score, req.Record.Subscore,
		req.Record.Metadata, req.Record.Operator, s.clock.now())
	switch {
	case errors.Is(err, errBoardAuthoritative):
		return nil, newError(PermissionDenied, "Leaderboard only allows authoritative score submissions.")
	case err != nil:
		return nil, newError(Internal, "Error writing score to leaderboard.")
	}
	return rec, nil
}

func (s *Server) deleteLeaderboardRecord(_ context.Context, c *call, req *api.DeleteLeaderboardRecordRequest) (*emptypb.Empty, error) {
	if req.LeaderboardId == "" {
		return nil, newError(InvalidArgument, "Invalid leaderboard ID.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[req.LeaderboardId]
	if b == nil || b.isTournament() {
		return nil, newError(NotFound, "Leaderboard not found.")
	}
	if b.authoritative {
		return nil, newError(PermissionDenied, "Leaderboard only allows authoritative score deletions.")
	}
	delete(b.records[b.resetExpiry(s.clock.now())], c.userID)
	return &emptypb.Empty{}, nil
}

// canonicalOwners checks owner ids as the API does and returns them in
// canonical form.
func canonicalOwners(ids []string) ([]string, bool) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		c, ok := parseUUID(id)
		if !ok {
			return nil, false
		}
		out = append(out, c)
	}
	return out, true
}

func (s *Server) listLeaderboardRecords(_ context.Context, _ *call, req *api.ListLeaderboardRecordsRequest) (*api.LeaderboardRecordList, error) {
	if req.LeaderboardId == "" {
		return nil, newError(InvalidArgument, "Invalid leaderboard ID.")
	}
	// Without a limit the server lists a single record, unless the call
	// only asks for owners' records (then it lists none).
	limit := 0
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 1000 {
			return nil, newError(InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
		}
		limit = int(req.Limit.Value)
	} else if len(req.OwnerIds) == 0 || req.Cursor != "" {
		limit = 1
	}
	owners, ok := canonicalOwners(req.OwnerIds)
	if !ok {
		return nil, newError(InvalidArgument, "One or more owner IDs are invalid.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[req.LeaderboardId]
	if b == nil {
		return nil, newError(NotFound, "Leaderboard not found.")
	}
	list, err := s.listRecords(b, limit, req.Cursor, owners, req.GetExpiry().GetValue(), s.clock.now())
	switch {
	case errors.Is(err, errCursorInvalid):
		return nil, newError(InvalidArgument, "Cursor is invalid or expired.")
	case err != nil:
		return nil, newError(Internal, "Error listing records from leaderboard.")
	}
	return list, nil
}

// haystackArgs checks the limit (1 to 100, def when not given) and the
// owner of ListLeaderboardRecordsAroundOwner and
// ListTournamentRecordsAroundOwner.
func haystackArgs(limit *wrapperspb.UInt32Value, def int, ownerID string) (int, string, error) {
	n := def
	if limit != nil {
		if limit.Value < 1 || limit.Value > 100 {
			return 0, "", newError(InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
		}
		n = int(limit.Value)
	}
	if ownerID == "" {
		return 0, "", newError(InvalidArgument, "Owner ID must be provided for a haystack query.")
	}
	owner, ok := parseUUID(ownerID)
	if !ok {
		return 0, "", newError(InvalidArgument, "Invalid owner ID provided.")
	}
	return n, owner, nil
}

func (s *Server) listLeaderboardRecordsAroundOwner(_ context.Context, _ *call, req *api.ListLeaderboardRecordsAroundOwnerRequest) (*api.LeaderboardRecordList, error) {
	if req.LeaderboardId == "" {
		return nil, newError(InvalidArgument, "Invalid leaderboard ID.")
	}
	limit, owner, err := haystackArgs(req.Limit, 1, req.OwnerId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[req.LeaderboardId]
	if b == nil {
		return nil, newError(NotFound, "Leaderboard not found.")
	}
	list, err := s.haystack(b, owner, limit, req.Cursor, req.GetExpiry().GetValue(), s.clock.now())
	if err != nil {
		// A bad cursor included: this route reports it as an internal error.
		return nil, newError(Internal, "Error querying records from leaderboard.")
	}
	return list, nil
}

// parseSortOrder and parseOperator read the runtime's names.
func parseSortOrder(s string) (int, error) {
	switch s {
	case "", "desc", "descending":
		return sortDescending, nil
	case "asc", "ascending":
		return sortAscending, nil
	}
	return 0, errors.New("nakamatest: expects sort order to be 'asc' or 'desc'")
}

func parseOperator(s string) (int, error) {
	switch s {
	case "", "best":
		return operatorBest, nil
	case "set":
		return operatorSet, nil
	case "incr", "increment":
		return operatorIncr, nil
	case "decr", "decrement":
		return operatorDecr, nil
	}
	return 0, errors.New("nakamatest: expects operator to be 'best', 'set', 'incr' or 'decr'")
}

// runtimeMetadata turns metadata given as JSON into what the runtime
// stores: its object re-encoded by encoding/json, as the runtime encodes
// the map it is given.
func runtimeMetadata(m string) (string, error) {
	if m == "" {
		return "{}", nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(m), &obj); err != nil || obj == nil {
		return "", errors.New("nakamatest: metadata must be a JSON object")
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return "", errors.New("nakamatest: error encoding metadata: " + err.Error())
	}
	return string(b), nil
}

// CreateLeaderboard creates a leaderboard as the runtime's
// leaderboard_create does. Creating an id that exists, leaderboard or
// tournament, changes nothing and succeeds. It fails on an empty id, an
// unknown sort order or operator, a reset schedule that is not a valid cron
// expression, or metadata that is not a JSON object.
func (s *Server) CreateLeaderboard(l Leaderboard) error {
	if l.ID == "" {
		return errors.New("nakamatest: expects a leaderboard ID string")
	}
	sortOrder, err := parseSortOrder(l.SortOrder)
	if err != nil {
		return err
	}
	operator, err := parseOperator(l.Operator)
	if err != nil {
		return err
	}
	var reset *cronSchedule
	if l.ResetSchedule != "" {
		if reset, err = parseCron(l.ResetSchedule); err != nil {
			return errors.New("nakamatest: expects reset schedule to be a valid CRON expression")
		}
	}
	metadata, err := runtimeMetadata(l.Metadata)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leaderboards.boards[l.ID] != nil {
		return nil
	}
	// The table's column widths.
	if len(l.ID) > 128 || len(l.ResetSchedule) > 64 {
		return errors.New("nakamatest: value too long for the leaderboard table (id 128, reset schedule 64 bytes)")
	}
	s.leaderboards.boards[l.ID] = &board{
		id: l.ID, authoritative: l.Authoritative, sortOrder: sortOrder, operator: operator,
		reset: reset, metadata: metadata, createTime: s.clock.now().Unix(), resetMark: s.clock.now().Unix(),
		enableRanks: l.EnableRanks, records: map[int64]map[string]*lbRecord{},
	}
	s.wakeResets()
	return nil
}

// DeleteLeaderboard deletes a leaderboard or tournament and all its
// records, as the runtime's leaderboard_delete does. Deleting an id that
// does not exist succeeds.
func (s *Server) DeleteLeaderboard(id string) error {
	if id == "" {
		return errors.New("nakamatest: expects a leaderboard ID string")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.leaderboards.boards, id)
	return nil
}

// LeaderboardRecords returns the records of a leaderboard's or a
// tournament's current period, best first, ranked 1, 2, ... as a listing
// ranks them. It fails with NotFound for an unknown id.
func (s *Server) LeaderboardRecords(id string) ([]*api.LeaderboardRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[id]
	if b == nil {
		return nil, newError(NotFound, "Leaderboard not found.")
	}
	expiry, possible := b.listingExpiry(0, s.clock.now())
	if !possible {
		return []*api.LeaderboardRecord{}, nil
	}
	out := make([]*api.LeaderboardRecord, 0, len(b.records[expiry]))
	for i, r := range b.ordered(expiry) {
		rec := r.api(b.id)
		rec.Rank = int64(i + 1)
		out = append(out, rec)
	}
	return out, nil
}

// RecordWrite is a score submitted through the direct API, on behalf of the
// server: it may write to authoritative leaderboards and tournaments.
type RecordWrite struct {
	// OwnerID is the record's owner, a UUID (no user need exist).
	OwnerID string
	// Username is stored with the record; "" keeps the record's current
	// one (none for a new record).
	Username string
	// Score and Subscore are combined with the record by the operator.
	Score    int64
	Subscore int64
	// Metadata is a JSON object. For a leaderboard "" keeps the record's;
	// for a tournament "" stores "{}", as the runtime does.
	Metadata string
	// Operator overrides the leaderboard's operator; the zero value keeps
	// it.
	Operator api.Operator
}

func (w *RecordWrite) check() (owner, metadata string, err error) {
	owner, ok := parseUUID(w.OwnerID)
	if !ok {
		return "", "", errors.New("nakamatest: expects owner ID to be a valid identifier")
	}
	if _, ok := api.Operator_name[int32(w.Operator)]; !ok {
		return "", "", errors.New("nakamatest: invalid operator")
	}
	if w.Metadata != "" {
		if metadata, err = runtimeMetadata(w.Metadata); err != nil {
			return "", "", err
		}
	}
	return owner, metadata, nil
}

// WriteLeaderboardRecord writes a record as the runtime's
// leaderboard_record_write does: like a client write, but allowed on
// authoritative leaderboards. Negative scores are refused. It fails with
// an *Error as WriteLeaderboardRecord would for an unknown leaderboard.
func (s *Server) WriteLeaderboardRecord(id string, w RecordWrite) (*api.LeaderboardRecord, error) {
	owner, metadata, err := w.check()
	if err != nil {
		return nil, err
	}
	if w.Score < 0 || w.Subscore < 0 {
		return nil, errors.New("nakamatest: expects score and subscore to be >= 0")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[id]
	if b == nil {
		return nil, newError(NotFound, "Leaderboard not found.")
	}
	rec, err := s.writeLeaderboard(b, false, owner, w.Username, w.Score, w.Subscore, metadata, w.Operator, s.clock.now())
	if err != nil {
		return nil, newError(Internal, "Error writing score to leaderboard.")
	}
	return rec, nil
}
