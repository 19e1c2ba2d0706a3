package nakama

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// ReconnectConfig turns on, and shapes, a WebSocket's automatic reconnect
// (SocketOptions.Reconnect). After a connection ends for any reason but
// Close, the socket redials with exponential backoff and jitter: attempt n
// waits a random delay of up to min(MaxDelay, BaseDelay·Multiplierⁿ⁻¹)
// (full jitter), refreshing the session first through SocketOptions.Client
// when it is about to expire or the server refused it. Once connected it
// restores what the socket had: status follows and status, chat channels
// joined, parties (where the server still has them) and matches (rejoined
// by id, when the server still runs them), and reports what could not be.
//
// Requests waiting for an answer when the connection was lost fail with
// its *CloseError, which matches ErrReconnecting; they may be sent again.
// Requests made while the socket reconnects wait for the new connection
// (within their context) or, with FailFast, fail at once with
// ErrReconnecting. The handlers see OnDisconnect (the cause), then
// OnReconnecting before each attempt, then OnReconnected, in Tick and
// AutoDispatch modes alike.
//
// A zero field takes DefaultReconnect's value.
type ReconnectConfig struct {
	// BaseDelay is the cap of the first attempt's delay. Default 500 ms.
	BaseDelay time.Duration
	// Multiplier is how the cap grows from one attempt to the next.
	// Default 2.
	Multiplier float64
	// MaxDelay bounds the cap. Default 30 s.
	MaxDelay time.Duration
	// Jitter is the part of each delay drawn at random: 1 (the default)
	// is full jitter, a delay uniform between 0 and the cap; 0.2 would
	// be a delay between 80 % and 100 % of it; negative for none.
	Jitter float64
	// MaxAttempts bounds the attempts; 0 (the default) for no bound but
	// MaxElapsed.
	MaxAttempts int
	// MaxElapsed bounds the time spent reconnecting, from the disconnect.
	// Default 5 min; negative for no bound.
	MaxElapsed time.Duration
	// FailFast makes requests made while the socket reconnects fail at
	// once with ErrReconnecting instead of waiting for the new connection.
	FailFast bool
}

// DefaultReconnect holds the defaults of ReconnectConfig's fields; copy it
// to adjust them.
var DefaultReconnect = ReconnectConfig{
	BaseDelay:  500 * time.Millisecond,
	Multiplier: 2,
	MaxDelay:   30 * time.Second,
	Jitter:     1,
	MaxElapsed: 5 * time.Minute,
}

func (r ReconnectConfig) withDefaults() ReconnectConfig {
	d := DefaultReconnect
	if r.BaseDelay <= 0 {
		r.BaseDelay = d.BaseDelay
	}
	if r.Multiplier < 1 {
		r.Multiplier = d.Multiplier
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = d.MaxDelay
	}
	if r.Jitter == 0 {
		r.Jitter = d.Jitter
	}
	r.Jitter = min(r.Jitter, 1)
	if r.MaxElapsed == 0 {
		r.MaxElapsed = d.MaxElapsed
	}
	return r
}

// delay returns the wait before attempt n (from 1).
func (r *ReconnectConfig) delay(n int) time.Duration {
	c := float64(r.BaseDelay) * math.Pow(r.Multiplier, float64(n-1))
	c = min(c, float64(r.MaxDelay))
	if r.Jitter > 0 {
		c -= c * r.Jitter * rand.Float64()
	}
	return time.Duration(c)
}

// ReconnectAttempt is what OnReconnecting receives before each attempt.
type ReconnectAttempt struct {
	// Attempt counts from 1.
	Attempt int
	// Delay is the wait before this attempt dials.
	Delay time.Duration
	// Err is why the previous attempt failed, or, for the first, what
	// ended the connection.
	Err error
}

// Restore kinds, in RestoreItem.Kind.
const (
	RestoreStatusFollow = "status_follow" // ID: the user ids and usernames, comma-separated
	RestoreStatus       = "status"        // ID: empty
	RestoreChat         = "chat"          // ID: the channel id
	RestoreParty        = "party"         // ID: the party id
	RestoreMatch        = "match"         // ID: the match id
)

// RestoreItem is one thing a reconnect restored, or failed to.
type RestoreItem struct {
	// Kind is one of the Restore constants.
	Kind string
	// ID names the item (see the Restore constants).
	ID string
	// Err is why it could not be restored (a *SocketError when the server
	// refused: MATCH_NOT_FOUND for a match it no longer runs); nil in
	// ReconnectReport.Restored.
	Err error
}

// ReconnectReport is what OnReconnected receives when a reconnect ends.
type ReconnectReport struct {
	// Attempts is how many dials it took (or were made, when it gave up).
	Attempts int
	// Cause is what ended the previous connection.
	Cause error
	// Restored and Failed list what the socket had on the lost connection,
	// restored or not.
	Restored, Failed []RestoreItem
	// Err is set when the socket gave up, and then stays disconnected:
	// attempts or time exhausted (wrapping the last failure), an expired
	// session that cannot be refreshed (ErrSessionExpired), or Close.
	Err error
}

// sockReconnect is a reconnect under way.
type sockReconnect struct {
	ctx    context.Context
	cancel context.CancelFunc
	// ready is closed when it ends, so that waiting requests look again.
	ready chan struct{}
	// done is closed when the reconnecting goroutine is finished with it.
	done chan struct{}
}

// willReconnect reports whether a connection ending now, not by Close, is
// followed by a reconnect.
func (s *WebSocket) willReconnect() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Reconnect != nil && !s.closed && s.session != nil
}

// startReconnect registers the reconnect that follows c's end, if any. It
// is done before the disconnect is queued, so that Done and requests see
// it at once. A connection whose error promised a reconnect gets one even
// when Close came meanwhile: Close, which waits for the connection to
// finish, then stops it, and the report says so.
func (s *WebSocket) startReconnect(c *sockConn) *sockReconnect {
	if !c.err.Reconnecting {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != c {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.rc = &sockReconnect{ctx: ctx, cancel: cancel, ready: make(chan struct{}), done: make(chan struct{})}
	return s.rc
}

// errReconnectStopped is the report's error when Close stopped a reconnect.
var errReconnectStopped = fmt.Errorf("%w: reconnect stopped by Close", ErrSocketClosed)

// reconnect dials until a connection is made, restores the socket's state
// on it, and reports; it runs on the finisher of the lost connection.
func (s *WebSocket) reconnect(rc *sockReconnect, cause error) {
	defer close(rc.done)
	defer rc.cancel()
	s.mu.Lock()
	session, o := s.session, s.connOpts
	s.mu.Unlock()
	cfg := s.opts.Reconnect
	rep := &ReconnectReport{Cause: cause}
	start := time.Now()
	last := cause
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var c *sockConn
	for c == nil {
		n := rep.Attempts + 1
		d := cfg.delay(n)
		if (cfg.MaxAttempts > 0 && n > cfg.MaxAttempts) || (cfg.MaxElapsed > 0 && time.Since(start)+d > cfg.MaxElapsed) {
			rep.Err = fmt.Errorf("%w: gave up after %d attempts in %v: %w", ErrSocketClosed, rep.Attempts,
				time.Since(start).Round(time.Millisecond), last)
			break
		}
		s.q.push(sockEvent{kind: sockEvReconnecting, msg: &ReconnectAttempt{Attempt: n, Delay: d, Err: last}}, true)
		t.Reset(d)
		select {
		case <-t.C:
		case <-rc.ctx.Done():
		}
		if rc.ctx.Err() != nil {
			rep.Err = errReconnectStopped
			break
		}
		rep.Attempts = n
		refused := errors.Is(last, ErrUnauthenticated)
		err := s.freshen(rc.ctx, session, refused && s.opts.Client != nil)
		if err == nil {
			c, err = s.dial(rc.ctx, session, &o)
		}
		if err == nil {
			break
		}
		last = err
		switch {
		case rc.ctx.Err() != nil:
			rep.Err = errReconnectStopped
		case errors.Is(err, ErrSessionExpired), errors.Is(err, ErrUnauthenticated) && (s.opts.Client == nil || refused):
			// A token no refresh can mend: dialing again is pointless.
			rep.Err = fmt.Errorf("%w: %w", ErrSocketClosed, err)
		}
		if rep.Err != nil {
			break
		}
	}
	if c != nil {
		s.mu.Lock()
		s.conn = c
		s.mu.Unlock()
		c.start()
		rep.Restored, rep.Failed = s.restore(rc.ctx, c)
		if rc.ctx.Err() != nil {
			rep.Err = errReconnectStopped // Close came during the restore
		}
	}
	s.mu.Lock()
	s.rc = nil
	close(rc.ready)
	s.mu.Unlock()
	s.q.push(sockEvent{kind: sockEvReconnected, msg: rep}, true)
}

// sockTracked is what the socket has joined, recorded (only when reconnect
// is on) so that a reconnect can restore it.
type sockTracked struct {
	mu        sync.Mutex
	on        bool
	follows   []string // user ids
	followsBy []string // usernames
	status    *string
	statusSet bool
	chats     map[string]sockChat // by channel id
	parties   map[string]bool
	matches   map[string]map[string]string // by match id: the join metadata
}

type sockChat struct {
	target string
	typ    rtapi.ChannelJoin_Type
	opts   JoinChatOptions
}

// reset forgets everything; Connect calls it.
func (t *sockTracked) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.follows, t.followsBy, t.status, t.statusSet = nil, nil, nil, false
	t.chats, t.parties, t.matches = nil, nil, nil
}

// update runs f on the state when tracking is on.
func (t *sockTracked) update(f func(t *sockTracked)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.on {
		f(t)
	}
}

func (t *sockTracked) chatJoined(id, target string, typ rtapi.ChannelJoin_Type, opts *JoinChatOptions) {
	t.update(func(t *sockTracked) {
		ch := sockChat{target: target, typ: typ}
		if opts != nil {
			ch.opts = *opts
		}
		if t.chats == nil {
			t.chats = map[string]sockChat{}
		}
		t.chats[id] = ch
	})
}

func (t *sockTracked) chatLeft(id string) { t.update(func(t *sockTracked) { delete(t.chats, id) }) }

func (t *sockTracked) followed(ids, names []string) {
	t.update(func(t *sockTracked) {
		for _, id := range ids {
			if !slices.Contains(t.follows, id) {
				t.follows = append(t.follows, id)
			}
		}
		for _, n := range names {
			if !slices.Contains(t.followsBy, n) {
				t.followsBy = append(t.followsBy, n)
			}
		}
	})
}

// unfollowed drops ids; follows by username stay, as their ids are not
// known here.
func (t *sockTracked) unfollowed(ids []string) {
	t.update(func(t *sockTracked) {
		t.follows = slices.DeleteFunc(t.follows, func(id string) bool { return slices.Contains(ids, id) })
	})
}

func (t *sockTracked) statusUpdated(st *string) {
	t.update(func(t *sockTracked) {
		t.statusSet = true
		t.status = nil
		if st != nil {
			v := *st
			t.status = &v
		}
	})
}

func (t *sockTracked) partyJoined(id string) {
	t.update(func(t *sockTracked) {
		if t.parties == nil {
			t.parties = map[string]bool{}
		}
		t.parties[id] = true
	})
}

func (t *sockTracked) partyGone(id string) { t.update(func(t *sockTracked) { delete(t.parties, id) }) }

func (t *sockTracked) matchJoined(id string, meta map[string]string) {
	t.update(func(t *sockTracked) {
		if t.matches == nil {
			t.matches = map[string]map[string]string{}
		}
		t.matches[id] = maps.Clone(meta)
	})
}

func (t *sockTracked) matchLeft(id string) { t.update(func(t *sockTracked) { delete(t.matches, id) }) }

// restore joins again, on c, what the socket had, in the order a client
// would have done it: follows and status first, so that the presences of
// the joins that follow are seen, then chats, parties and matches.
func (s *WebSocket) restore(ctx context.Context, c *sockConn) (restored, failed []RestoreItem) {
	t := &s.track
	t.mu.Lock()
	follows, followsBy := slices.Clone(t.follows), slices.Clone(t.followsBy)
	status, statusSet := t.status, t.statusSet
	chats, parties, matches := maps.Clone(t.chats), slices.Sorted(maps.Keys(t.parties)), maps.Clone(t.matches)
	t.mu.Unlock()
	note := func(kind, id string, err error) {
		if err != nil {
			failed = append(failed, RestoreItem{Kind: kind, ID: id, Err: err})
		} else {
			restored = append(restored, RestoreItem{Kind: kind, ID: id})
		}
	}
	if len(follows)+len(followsBy) > 0 {
		resp, err := c.ask(ctx, "FollowUsers", sockFollowEnvelope(follows, followsBy))
		_, err = sockAnswer[*rtapi.Envelope_Status]("FollowUsers", resp, err)
		note(RestoreStatusFollow, joinIDs(follows, followsBy), err)
	}
	if statusSet {
		resp, err := c.ask(ctx, "UpdateStatus", sockStatusEnvelope(status))
		note(RestoreStatus, "", sockEmptyAnswer("UpdateStatus", resp, err))
	}
	for _, id := range slices.Sorted(maps.Keys(chats)) {
		ch := chats[id]
		resp, err := c.ask(ctx, "JoinChat", sockJoinChatEnvelope(ch.target, ch.typ, &ch.opts))
		w, err := sockAnswer[*rtapi.Envelope_Channel]("JoinChat", resp, err)
		if err == nil && w.Channel.GetId() != id {
			// A channel's id derives from its target: a new one means
			// the server no longer sees it as the same channel.
			t.chatLeft(id)
			t.chatJoined(w.Channel.GetId(), ch.target, ch.typ, &ch.opts)
		}
		note(RestoreChat, id, err)
	}
	for _, id := range parties {
		resp, err := c.ask(ctx, "JoinParty", sockPartyJoinEnvelope(id))
		err = sockEmptyAnswer("JoinParty", resp, err)
		if err != nil {
			t.partyGone(id)
		}
		note(RestoreParty, id, err)
	}
	for _, id := range slices.Sorted(maps.Keys(matches)) {
		resp, err := c.ask(ctx, "JoinMatch", sockJoinMatchEnvelope(id, matches[id]))
		_, err = sockAnswer[*rtapi.Envelope_Match]("JoinMatch", resp, err)
		if err != nil {
			t.matchLeft(id)
		}
		note(RestoreMatch, id, err)
	}
	return restored, failed
}

func joinIDs(a, b []string) string {
	out := ""
	for _, s := range append(slices.Clone(a), b...) {
		if out != "" {
			out += ","
		}
		out += s
	}
	return out
}

// The envelopes the methods and restore both send.

func sockFollowEnvelope(ids, names []string) *rtapi.Envelope {
	return &rtapi.Envelope{Message: &rtapi.Envelope_StatusFollow{StatusFollow: &rtapi.StatusFollow{UserIds: ids, Usernames: names}}}
}

func sockStatusEnvelope(status *string) *rtapi.Envelope {
	m := &rtapi.StatusUpdate{}
	if status != nil {
		m.Status = wrapperspb.String(*status)
	}
	return &rtapi.Envelope{Message: &rtapi.Envelope_StatusUpdate{StatusUpdate: m}}
}

func sockJoinChatEnvelope(target string, typ rtapi.ChannelJoin_Type, opts *JoinChatOptions) *rtapi.Envelope {
	m := &rtapi.ChannelJoin{Target: target, Type: int32(typ)}
	if opts != nil {
		if opts.Persistence != nil {
			m.Persistence = wrapperspb.Bool(*opts.Persistence)
		}
		if opts.Hidden {
			m.Hidden = wrapperspb.Bool(true)
		}
	}
	return &rtapi.Envelope{Message: &rtapi.Envelope_ChannelJoin{ChannelJoin: m}}
}

func sockPartyJoinEnvelope(id string) *rtapi.Envelope {
	return &rtapi.Envelope{Message: &rtapi.Envelope_PartyJoin{PartyJoin: &rtapi.PartyJoin{PartyId: id}}}
}

func sockJoinMatchEnvelope(id string, meta map[string]string) *rtapi.Envelope {
	return &rtapi.Envelope{Message: &rtapi.Envelope_MatchJoin{MatchJoin: &rtapi.MatchJoin{
		Id: &rtapi.MatchJoin_MatchId{MatchId: id}, Metadata: meta}}}
}
