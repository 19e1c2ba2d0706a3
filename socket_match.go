package nakama

import (
	"context"

	"github.com/gonakama/nakama/internal/wire"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// CreateMatch creates a relayed match, joins it and returns it. opts may be
// nil.
func (s *WebSocket) CreateMatch(ctx context.Context, opts *CreateMatchOptions) (*rtapi.Match, error) {
	m := &rtapi.MatchCreate{}
	if opts != nil {
		m.Name = opts.Name
	}
	return sockMatchReply(ctx, s, "CreateMatch", &rtapi.Envelope{Message: &rtapi.Envelope_MatchCreate{MatchCreate: m}}, nil)
}

// JoinMatch joins the match matchID and returns it, with the users present.
// Data then arrives through OnMatchData, joins and leaves through
// OnMatchPresence. An authoritative match may refuse the join (a
// *SocketError with MATCH_JOIN_REJECTED, matching ErrPermissionDenied). opts
// may be nil.
func (s *WebSocket) JoinMatch(ctx context.Context, matchID string, opts *JoinMatchOptions) (*rtapi.Match, error) {
	var meta map[string]string
	if opts != nil {
		meta = opts.Metadata
	}
	return sockMatchReply(ctx, s, "JoinMatch", sockJoinMatchEnvelope(matchID, meta), meta)
}

// JoinMatchToken joins the match of a matchmaker result, by the token of
// rtapi.MatchmakerMatched, and returns it. opts may be nil.
func (s *WebSocket) JoinMatchToken(ctx context.Context, token string, opts *JoinMatchOptions) (*rtapi.Match, error) {
	m := &rtapi.MatchJoin{Id: &rtapi.MatchJoin_Token{Token: token}}
	if opts != nil {
		m.Metadata = opts.Metadata
	}
	return sockMatchReply(ctx, s, "JoinMatchToken", &rtapi.Envelope{Message: &rtapi.Envelope_MatchJoin{MatchJoin: m}}, m.Metadata)
}

// sockMatchReply sends env and returns the match joined, recorded with the
// join's metadata for a reconnect.
func sockMatchReply(ctx context.Context, s *WebSocket, op string, env *rtapi.Envelope, meta map[string]string) (*rtapi.Match, error) {
	w, err := sockAsk[*rtapi.Envelope_Match](ctx, s, op, env)
	if err != nil {
		return nil, err
	}
	s.track.matchJoined(w.Match.GetMatchId(), meta)
	return w.Match, nil
}

// LeaveMatch leaves the match matchID.
func (s *WebSocket) LeaveMatch(ctx context.Context, matchID string) error {
	err := sockAskEmpty(ctx, s, "LeaveMatch", &rtapi.Envelope{Message: &rtapi.Envelope_MatchLeave{
		MatchLeave: &rtapi.MatchLeave{MatchId: matchID}}})
	if err == nil {
		s.track.matchLeft(matchID)
	}
	return err
}

// SendMatchData sends data with opCode to the match matchID: to every other
// member, or to opts.Presences. The server does not answer: SendMatchData
// returns once the frame is queued for writing (waiting, within ctx, only
// while the write queue is full), and a failure the server reports arrives
// through OnError. data is copied before SendMatchData returns. opts may be
// nil.
func (s *WebSocket) SendMatchData(ctx context.Context, matchID string, opCode int64, data []byte, opts *SendMatchDataOptions) error {
	const op = "SendMatchData"
	c, err := s.live(ctx)
	if err != nil {
		return &OpError{Op: op, Err: err}
	}
	m := wire.MatchDataSend{MatchID: matchID, OpCode: opCode, Data: data, Reliable: true}
	if opts != nil {
		m.Presences = opts.Presences
		m.Reliable = !opts.Unreliable
	}
	b := sockGetBuf()
	out, err := s.format.AppendMatchDataSend((*b)[:0], &m)
	*b = out
	if err != nil {
		sockPutBuf(b)
		return &OpError{Op: op, Err: err}
	}
	if err := c.sendFrame(ctx, b); err != nil {
		return &OpError{Op: op, Err: err}
	}
	return nil
}

// AddMatchmaker starts looking for a match for the user among those whose
// properties satisfy query (and whose queries the user satisfies), between
// minCount and maxCount users in all. The result arrives through
// OnMatchmakerMatched; the ticket cancels it. opts may be nil.
func (s *WebSocket) AddMatchmaker(ctx context.Context, query string, minCount, maxCount int, opts *MatchmakerOptions) (*rtapi.MatchmakerTicket, error) {
	m := &rtapi.MatchmakerAdd{Query: query, MinCount: int32(minCount), MaxCount: int32(maxCount)}
	if opts != nil {
		m.StringProperties = opts.StringProperties
		m.NumericProperties = opts.NumericProperties
		if opts.CountMultiple != 0 {
			m.CountMultiple = wrapperspb.Int32(int32(opts.CountMultiple))
		}
	}
	w, err := sockAsk[*rtapi.Envelope_MatchmakerTicket](ctx, s, "AddMatchmaker", &rtapi.Envelope{Message: &rtapi.Envelope_MatchmakerAdd{MatchmakerAdd: m}})
	if err != nil {
		return nil, err
	}
	return w.MatchmakerTicket, nil
}

// RemoveMatchmaker cancels the matchmaking of ticket.
func (s *WebSocket) RemoveMatchmaker(ctx context.Context, ticket string) error {
	return sockAskEmpty(ctx, s, "RemoveMatchmaker", &rtapi.Envelope{Message: &rtapi.Envelope_MatchmakerRemove{
		MatchmakerRemove: &rtapi.MatchmakerRemove{Ticket: ticket}}})
}

// RpcFunc calls the server function id with payload (usually JSON) as the
// socket's user, and returns its output in Payload. A function that fails
// gives a *SocketError with RUNTIME_FUNCTION_EXCEPTION; a missing one,
// RUNTIME_FUNCTION_NOT_FOUND (matching ErrNotFound).
func (s *WebSocket) RpcFunc(ctx context.Context, id, payload string) (*api.Rpc, error) {
	w, err := sockAsk[*rtapi.Envelope_Rpc](ctx, s, "RpcFunc", &rtapi.Envelope{Message: &rtapi.Envelope_Rpc{
		Rpc: &api.Rpc{Id: id, Payload: payload}}})
	if err != nil {
		return nil, err
	}
	return w.Rpc, nil
}
