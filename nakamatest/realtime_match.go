package nakamatest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Matches over the socket. A relayed match ("<uuid>.") is a presence
// stream: it exists while someone is in it, and the server only forwards
// data between its members. An authoritative match ("<uuid>.nakama") runs
// a MatchHandler the test registered, on a goroutine of its own that calls
// MatchLoop at the match's tick rate, as the real server runs a runtime
// match.

// MatchHandler is the logic of an authoritative match, as a Go runtime
// module implements runtime.Match (less the logger, database and module
// arguments; see RuntimeMatch to run a runtime.Match unchanged). One
// handler serves every match created under its name; a match's own data
// lives in its state, which each call receives and returns. Returning a
// nil state ends the match.
//
// The calls for one match are made one at a time, on the match's
// goroutine, with no lock of the server held: a handler may use the
// dispatcher and the direct API. Different matches run concurrently.
type MatchHandler interface {
	// MatchInit starts a match with the parameters given to CreateMatch,
	// and returns its initial state, its tick rate (1 to 60 per second)
	// and its label (at most 2048 bytes; a JSON object label can be
	// searched with ListMatches queries).
	MatchInit(ctx context.Context, params map[string]any) (state any, tickRate int, label string)
	// MatchJoinAttempt decides whether a user may join; the reason is sent
	// to a rejected user.
	MatchJoinAttempt(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, presence runtime.Presence, metadata map[string]string) (newState any, allow bool, reason string)
	// MatchJoin is told of users who joined.
	MatchJoin(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, presences []runtime.Presence) any
	// MatchLeave is told of users who left or disconnected.
	MatchLeave(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, presences []runtime.Presence) any
	// MatchLoop runs once per tick with the data received since the last.
	MatchLoop(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, messages []runtime.MatchData) any
	// MatchTerminate is called by TerminateMatch, as at a graceful
	// shutdown.
	MatchTerminate(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, graceSeconds int) any
	// MatchSignal answers SignalMatch.
	MatchSignal(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, data string) (newState any, result string)
}

// RuntimeMatch runs a Go runtime module's match handler unchanged, so the
// match a server runs can be tested against nakamatest. Its logger writes
// to logger (nil discards), and it gets a nil database and a nil module:
// a handler that uses either panics, which ends the match. A module that
// registers the match in its InitModule (Options.Modules) gets the
// server's runtime.NakamaModule instead.
func RuntimeMatch(m runtime.Match, logger *slog.Logger) MatchHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &runtimeMatch{m: m, log: &runtimeLogger{l: logger}}
}

type runtimeMatch struct {
	m   runtime.Match
	log runtime.Logger
}

func (r *runtimeMatch) MatchInit(ctx context.Context, params map[string]any) (any, int, string) {
	return r.m.MatchInit(ctx, r.log, nil, nil, params)
}

func (r *runtimeMatch) MatchJoinAttempt(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, p runtime.Presence, md map[string]string) (any, bool, string) {
	return r.m.MatchJoinAttempt(ctx, r.log, nil, nil, d, tick, state, p, md)
}

func (r *runtimeMatch) MatchJoin(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	return r.m.MatchJoin(ctx, r.log, nil, nil, d, tick, state, ps)
}

func (r *runtimeMatch) MatchLeave(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	return r.m.MatchLeave(ctx, r.log, nil, nil, d, tick, state, ps)
}

func (r *runtimeMatch) MatchLoop(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, msgs []runtime.MatchData) any {
	return r.m.MatchLoop(ctx, r.log, nil, nil, d, tick, state, msgs)
}

func (r *runtimeMatch) MatchTerminate(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, grace int) any {
	return r.m.MatchTerminate(ctx, r.log, nil, nil, d, tick, state, grace)
}

func (r *runtimeMatch) MatchSignal(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, data string) (any, string) {
	return r.m.MatchSignal(ctx, r.log, nil, nil, d, tick, state, data)
}

// runtimeLogger is a runtime.Logger over slog.
type runtimeLogger struct {
	l      *slog.Logger
	fields map[string]any
}

func (g *runtimeLogger) Debug(format string, v ...any) { g.l.Debug(fmt.Sprintf(format, v...)) }
func (g *runtimeLogger) Info(format string, v ...any)  { g.l.Info(fmt.Sprintf(format, v...)) }
func (g *runtimeLogger) Warn(format string, v ...any)  { g.l.Warn(fmt.Sprintf(format, v...)) }
func (g *runtimeLogger) Error(format string, v ...any) { g.l.Error(fmt.Sprintf(format, v...)) }

func (g *runtimeLogger) WithField(key string, v any) runtime.Logger {
	return g.WithFields(map[string]any{key: v})
}

func (g *runtimeLogger) WithFields(fields map[string]any) runtime.Logger {
	all := maps.Clone(g.fields)
	if all == nil {
		all = make(map[string]any, len(fields))
	}
	l := g.l
	for k, v := range fields {
		all[k] = v
		l = l.With(k, v)
	}
	return &runtimeLogger{l: l, fields: all}
}

func (g *runtimeLogger) Fields() map[string]any { return maps.Clone(g.fields) }

// MatchPresence is a user in an authoritative match. It implements
// runtime.Presence.
type MatchPresence struct {
	UserID    string
	SessionID string
	Username  string
	// Node is the server's node name, "nakama".
	Node string
	// Reason says why a presence joined or left.
	Reason runtime.PresenceReason
}

// GetUserId returns the user id.
func (p MatchPresence) GetUserId() string { return p.UserID }

// GetSessionId returns the session id.
func (p MatchPresence) GetSessionId() string { return p.SessionID }

// GetNodeId returns the node name.
func (p MatchPresence) GetNodeId() string { return p.Node }

// GetHidden is false: match presences are never hidden.
func (p MatchPresence) GetHidden() bool { return false }

// GetPersistence is false for match presences.
func (p MatchPresence) GetPersistence() bool { return false }

// GetUsername returns the username.
func (p MatchPresence) GetUsername() string { return p.Username }

// GetStatus is empty for match presences.
func (p MatchPresence) GetStatus() string { return "" }

// GetReason returns why the presence joined or left.
func (p MatchPresence) GetReason() runtime.PresenceReason { return p.Reason }

// MatchData is data a user sent to an authoritative match. It implements
// runtime.MatchData.
type MatchData struct {
	MatchPresence
	OpCode   int64
	Data     []byte
	Reliable bool
	// ReceiveTime is when the server received it, in Unix milliseconds of
	// the server's clock.
	ReceiveTime int64
}

// GetOpCode returns the op code.
func (d MatchData) GetOpCode() int64 { return d.OpCode }

// GetData returns the payload.
func (d MatchData) GetData() []byte { return d.Data }

// GetReliable reports whether the sender asked for reliable delivery.
func (d MatchData) GetReliable() bool { return d.Reliable }

// GetReceiveTime returns the receive time in Unix milliseconds.
func (d MatchData) GetReceiveTime() int64 { return d.ReceiveTime }

func matchPresenceOf(p *rtPresence) MatchPresence {
	return MatchPresence{UserID: p.sess.userID, SessionID: p.sess.id, Username: p.meta.username, Node: matchNode, Reason: p.reason}
}

// runtimeErr is an error whose text is the server's, capital letter and
// all.
type runtimeErr string

func (e runtimeErr) Error() string { return string(e) }

// withRuntimeValue adds a value under one of the runtime's context keys,
// which are plain strings: handler code written for the server looks its
// values up with them.
func withRuntimeValue(ctx context.Context, key string, v any) context.Context {
	//lint:ignore SA1029 the runtime's context keys are plain strings
	return context.WithValue(ctx, key, v)
}

// The runtime's errors, as its match functions report them.
var (
	errMatchIDInvalid = errors.New("match id invalid")
	errMatchNotFound  = errors.New("match not found")
	errMatchBusy      = errors.New("match busy")
	errMatchStopped   = errors.New("match stopped")
)

// The queue sizes of the server's default match configuration.
const (
	matchCallQueue        = 128
	matchJoinAttemptQueue = 128
	matchSignalQueue      = 10
	matchInputQueue       = 128
	matchDeferredQueue    = 128
	matchReplyWait        = 10 * time.Second
)

// rtMatch is a running authoritative match.
type rtMatch struct {
	s        *Server
	id       string // UUID
	idStr    string // <uuid>.nakama
	name     string
	handler  MatchHandler
	tickRate int
	stream   rtStream
	cancel   context.CancelFunc
	// ctxp holds the context handler calls get; a label update replaces
	// it.
	ctxp atomic.Pointer[context.Context]

	// Guarded by s.mu.
	label     string
	presences []MatchPresence

	// Owned by the match goroutine.
	state any
	tick  int64

	calls        chan func()
	joinAttempts chan func()
	signals      chan func()
	input        chan MatchData
	stopCh       chan struct{}
	stopped      atomic.Bool

	deferMu  sync.Mutex
	deferred []*rtapi.Envelope
	deferTo  [][]string // session ids per deferred message
}

// RegisterMatch makes h the handler of authoritative matches created under
// name, as a Go runtime module's RegisterMatch does. Registering a name
// again replaces its handler for matches created afterwards; a nil h
// removes it.
func (s *Server) RegisterMatch(name string, h MatchHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.realtime.matchHandlers, name)
		return
	}
	s.realtime.matchHandlers[name] = h
}

// CreateMatch starts an authoritative match of the handler registered
// under name, as the runtime's MatchCreate does, and returns its id
// ("<uuid>.nakama"). MatchInit runs before CreateMatch returns; its
// errors (an unknown name, a bad tick rate or label, a nil state) are
// the runtime's.
func (s *Server) CreateMatch(name string, params map[string]any) (string, error) {
	if name == "" {
		return "", errors.New("expects module name")
	}
	s.mu.Lock()
	h := s.realtime.matchHandlers[name]
	s.mu.Unlock()
	if h == nil {
		return "", errors.New("error creating match: not found")
	}
	id := s.rand.uuid()
	m := &rtMatch{s: s, id: id, idStr: id + "." + matchNode, name: name, handler: h,
		stream:       rtStream{mode: streamModeMatchAuthoritative, subject: id, subcontext: systemUserID, label: matchNode},
		calls:        make(chan func(), matchCallQueue),
		joinAttempts: make(chan func(), matchJoinAttemptQueue),
		signals:      make(chan func(), matchSignalQueue),
		input:        make(chan MatchData, matchInputQueue),
		stopCh:       make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_NODE, matchNode)
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_MODE, "match")
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_MATCH_ID, m.idStr)
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_MATCH_NODE, matchNode)
	m.ctxp.Store(&ctx)

	state, rate, label, err := m.init(params)
	if err == nil {
		switch {
		case len(label) > matchLabelMaxBytes:
			err = runtimeErr("MatchInit returned invalid label, must be " + strconv.Itoa(matchLabelMaxBytes) + " bytes or less")
		case rate > 60 || rate < 1:
			err = runtimeErr("MatchInit returned invalid tick rate, must be between 1 and 60")
		case state == nil:
			err = runtimeErr("Match initial state must not be nil")
		}
	}
	if err != nil {
		m.cancel()
		return "", fmt.Errorf("error creating match: %v", err)
	}
	m.state, m.tickRate, m.label = state, rate, label
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_MATCH_TICK_RATE, rate)
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_MATCH_LABEL, label)
	m.ctxp.Store(&ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.realtime.closed {
		m.cancel()
		return "", errors.New("error creating match: shutdown in progress")
	}
	s.realtime.matches[id] = m
	s.putMatchLocked(&matchEntry{id: m.idStr, authoritative: true, label: label, tickRate: int32(rate),
		handlerName: name, createTime: s.clock.now().UnixNano()})
	s.realtime.wg.Add(1)
	go m.run()
	return m.idStr, nil
}

func (m *rtMatch) context() context.Context { return *m.ctxp.Load() }

func (m *rtMatch) init(params map[string]any) (state any, rate int, label string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("MatchInit panicked: %v", v)
		}
	}()
	state, rate, label = m.handler.MatchInit(m.context(), maps.Clone(params))
	return state, rate, label, nil
}

// SignalMatch sends data to a match's MatchSignal and returns its answer,
// as the runtime's MatchSignal does, with its errors: "match id invalid",
// "match not found" (also for relayed matches), and "match busy" when the
// match cannot answer within 10 seconds or ends instead.
func (s *Server) SignalMatch(id, data string) (string, error) {
	m, err := s.rtFindMatch(id)
	if err != nil {
		return "", err
	}
	res := make(chan *string, 1)
	signal := func() {
		if m.stopped.Load() {
			res <- nil
			return
		}
		var out string
		ok := m.callHandler("MatchSignal", func(d runtime.MatchDispatcher) any {
			st, r := m.handler.MatchSignal(m.context(), d, m.tick, m.state, data)
			out = r
			return st
		})
		if !ok {
			res <- nil
			return
		}
		res <- &out
	}
	select {
	case m.signals <- signal:
	default:
		return "", errMatchBusy
	}
	t := time.NewTimer(matchReplyWait)
	defer t.Stop()
	select {
	case r := <-res:
		if r == nil {
			return "", errMatchBusy
		}
		return *r, nil
	case <-m.stopCh:
		return "", errMatchBusy
	case <-t.C:
		return "", errMatchBusy
	}
}

// TerminateMatch asks a match to end, as a graceful shutdown does: its
// MatchTerminate runs with graceSeconds, and the match ends when that
// returns a nil state or when graceSeconds is 0.
func (s *Server) TerminateMatch(id string, graceSeconds int) error {
	m, err := s.rtFindMatch(id)
	if err != nil {
		return err
	}
	m.queueCall(func() {
		ok := m.callHandler("MatchTerminate", func(d runtime.MatchDispatcher) any {
			return m.handler.MatchTerminate(m.context(), d, m.tick, m.state, graceSeconds)
		})
		if ok && graceSeconds == 0 {
			m.stop()
		}
	})
	return nil
}

func (s *Server) rtFindMatch(id string) (*rtMatch, error) {
	uuid, node, ok := splitNodeID(id)
	if !ok {
		return nil, errMatchIDInvalid
	}
	if node != matchNode {
		return nil, errMatchNotFound
	}
	s.mu.Lock()
	m := s.realtime.matches[uuid]
	s.mu.Unlock()
	if m == nil {
		return nil, errMatchNotFound
	}
	return m, nil
}

// run is the match's goroutine.
func (m *rtMatch) run() {
	defer m.s.realtime.wg.Done()
	ticker := time.NewTicker(time.Second / time.Duration(m.tickRate))
	defer ticker.Stop()
	for {
		select {
		case <-m.stopCh:
			return
		case <-ticker.C:
			if !m.queueCall(m.loop) {
				return
			}
		case f := <-m.calls:
			f()
		case f := <-m.joinAttempts:
			f()
		case f := <-m.signals:
			f()
		}
	}
}

// queueCall queues work for the match goroutine. A match too slow to keep
// up is ended and its users disconnected, as on the server.
func (m *rtMatch) queueCall(f func()) bool {
	if m.stopped.Load() {
		return false
	}
	select {
	case m.calls <- f:
		return true
	default:
		m.s.mu.Lock()
		defer m.s.mu.Unlock()
		m.overflowLocked()
		return false
	}
}

// queueCallLocked is queueCall with s.mu held.
func (m *rtMatch) queueCallLocked(f func()) {
	if m.stopped.Load() {
		return
	}
	select {
	case m.calls <- f:
	default:
		m.overflowLocked()
	}
}

func (m *rtMatch) overflowLocked() {
	m.s.log.Warn("nakamatest: match handler call processing too slow, closing match", "match", m.idStr)
	m.disconnectClientsLocked()
	m.s.rtStopMatchLocked(m)
}

// callHandler runs one handler call with a dispatcher, keeps the state it
// returns and sends the messages it deferred. A nil state ends the match;
// a panic ends it and disconnects its users, as a failing runtime match
// does. It reports whether the match goes on.
func (m *rtMatch) callHandler(what string, call func(runtime.MatchDispatcher) any) (ok bool) {
	d := &matchDispatcher{m: m}
	defer func() {
		if v := recover(); v != nil {
			m.s.log.Warn("nakamatest: match handler panicked", "match", m.idStr, "call", what, "panic", v,
				"stack", string(debug.Stack()))
			m.stop()
			m.disconnectClients()
			ok = false
		}
	}()
	state := call(d)
	if state == nil {
		m.stop()
		return false
	}
	m.sendDeferred()
	m.state = state
	return true
}

func (m *rtMatch) loop() {
	if m.stopped.Load() {
		return
	}
	n := len(m.input)
	msgs := make([]runtime.MatchData, 0, n)
	for range n {
		msgs = append(msgs, <-m.input)
	}
	if m.callHandler("MatchLoop", func(d runtime.MatchDispatcher) any {
		return m.handler.MatchLoop(m.context(), d, m.tick, m.state, msgs)
	}) {
		m.tick++
	}
}

// matchJoinResult is what a join attempt answers the joining session.
type matchJoinResult struct {
	allow     bool
	reason    string
	label     string
	presences []MatchPresence
}

// queueJoinAttempt asks the match to run MatchJoinAttempt for sess.
func (m *rtMatch) queueJoinAttempt(sess *rtSession, metadata map[string]string, res chan<- matchJoinResult) bool {
	if m.stopped.Load() {
		return false
	}
	// The server's join presences carry no reason (PresenceReasonUnknown),
	// in MatchJoinAttempt and in MatchJoin.
	presence := MatchPresence{UserID: sess.userID, SessionID: sess.id, Username: sess.username, Node: matchNode}
	attempt := func() {
		if sess.ctx.Err() != nil || m.stopped.Load() {
			res <- matchJoinResult{}
			return
		}
		ctx := withRuntimeValue(m.context(), runtime.RUNTIME_CTX_USER_ID, sess.userID)
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_USERNAME, sess.username)
		if sess.vars != nil {
			ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_VARS, maps.Clone(sess.vars))
		}
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_USER_SESSION_EXP, sess.expiry)
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_SESSION_ID, sess.id)
		if sess.clientIP != "" {
			ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_CLIENT_IP, sess.clientIP)
		}
		if sess.clientPort != "" {
			ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_CLIENT_PORT, sess.clientPort)
		}
		var allow bool
		var reason string
		ok := m.callHandler("MatchJoinAttempt", func(d runtime.MatchDispatcher) any {
			st, a, r := m.handler.MatchJoinAttempt(ctx, d, m.tick, m.state, presence, maps.Clone(metadata))
			allow, reason = a, r
			return st
		})
		if !ok {
			res <- matchJoinResult{}
			return
		}
		m.s.mu.Lock()
		out := matchJoinResult{allow: allow, reason: reason, label: m.label, presences: slices.Clone(m.presences)}
		m.s.mu.Unlock()
		if allow {
			m.queueJoin([]MatchPresence{presence})
		}
		res <- out
	}
	select {
	case m.joinAttempts <- attempt:
		return true
	default:
		return false
	}
}

// queueJoin adds users to the match and runs MatchJoin for the new ones.
func (m *rtMatch) queueJoin(joins []MatchPresence) {
	m.queueCall(func() {
		if m.stopped.Load() {
			return
		}
		m.s.mu.Lock()
		var added []runtime.Presence
		for _, p := range joins {
			if !slices.ContainsFunc(m.presences, func(q MatchPresence) bool { return q.SessionID == p.SessionID }) {
				m.presences = append(m.presences, p)
				added = append(added, p)
			}
		}
		m.s.rtMatchSizeLocked(m)
		m.s.mu.Unlock()
		if len(added) == 0 {
			return
		}
		m.callHandler("MatchJoin", func(d runtime.MatchDispatcher) any {
			return m.handler.MatchJoin(m.context(), d, m.tick, m.state, added)
		})
	})
}

// queueLeaveLocked removes users from the match and runs MatchLeave. It
// is called with s.mu held and never blocks.
func (m *rtMatch) queueLeaveLocked(leaves []MatchPresence) {
	m.queueCallLocked(func() {
		if m.stopped.Load() {
			return
		}
		m.s.mu.Lock()
		n := len(m.presences)
		m.presences = slices.DeleteFunc(m.presences, func(q MatchPresence) bool {
			return slices.ContainsFunc(leaves, func(p MatchPresence) bool { return p.SessionID == q.SessionID })
		})
		removed := n != len(m.presences)
		m.s.rtMatchSizeLocked(m)
		m.s.mu.Unlock()
		if !removed {
			return
		}
		ps := make([]runtime.Presence, len(leaves))
		for i, p := range leaves {
			ps[i] = p
		}
		m.callHandler("MatchLeave", func(d runtime.MatchDispatcher) any {
			return m.handler.MatchLeave(m.context(), d, m.tick, m.state, ps)
		})
	})
}

// queueData hands data to the next MatchLoop; when the match cannot keep
// up the data is dropped, as on the server.
func (m *rtMatch) queueData(d MatchData) {
	if m.stopped.Load() {
		return
	}
	select {
	case m.input <- d:
	default:
		m.s.log.Warn("nakamatest: match handler data processing too slow, dropping data message", "match", m.idStr)
	}
}

// stop ends the match: it leaves the listing, its presences are dropped
// without events, and its goroutine exits.
func (m *rtMatch) stop() {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	m.s.rtStopMatchLocked(m)
}

func (s *Server) rtStopMatchLocked(m *rtMatch) {
	if !m.stopped.CompareAndSwap(false, true) {
		return
	}
	delete(s.realtime.matches, m.id)
	s.removeMatchLocked(m.idStr)
	s.rtUntrackStreamLocked(m.stream)
	m.sendDeferredLocked()
	m.cancel()
	close(m.stopCh)
}

// disconnectClients closes the sockets of the match's users, as the server
// does when a match fails.
func (m *rtMatch) disconnectClients() {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	m.disconnectClientsLocked()
}

func (m *rtMatch) disconnectClientsLocked() {
	for _, p := range m.presences {
		if sess := m.s.realtime.sessions[p.SessionID]; sess != nil {
			sess.initClose("server-side session disconnect", false, false)
		}
	}
}

func (s *Server) rtMatchSizeLocked(m *rtMatch) {
	if e := s.matches.matches[m.idStr]; e != nil {
		e.size = int32(len(m.presences))
	}
}

func (m *rtMatch) sendDeferred() {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	m.sendDeferredLocked()
}

func (m *rtMatch) sendDeferredLocked() {
	m.deferMu.Lock()
	envs, to := m.deferred, m.deferTo
	m.deferred, m.deferTo = nil, nil
	m.deferMu.Unlock()
	for i, env := range envs {
		m.s.rtSendToSessionIDsLocked(to[i], env)
	}
}

func (s *Server) rtSendToSessionIDsLocked(ids []string, env *rtapi.Envelope) {
	sessions := make([]*rtSession, 0, len(ids))
	for _, id := range ids {
		if sess := s.realtime.sessions[id]; sess != nil {
			sessions = append(sessions, sess)
		}
	}
	rtSendTo(sessions, env)
}

// matchDispatcher is the runtime.MatchDispatcher a match's handler calls.
type matchDispatcher struct{ m *rtMatch }

var _ runtime.MatchDispatcher = (*matchDispatcher)(nil)

// BroadcastMessage sends data to presences of the match (all of them when
// presences is nil), from sender when it is not nil.
func (d *matchDispatcher) BroadcastMessage(opCode int64, data []byte, presences []runtime.Presence, sender runtime.Presence, reliable bool) error {
	if d.m.stopped.Load() {
		return errMatchStopped
	}
	d.m.s.mu.Lock()
	defer d.m.s.mu.Unlock()
	ids, env, err := d.validate(opCode, data, presences, sender, reliable)
	if err != nil || len(ids) == 0 {
		return err
	}
	d.m.s.rtSendToSessionIDsLocked(ids, env)
	return nil
}

// BroadcastMessageDeferred is BroadcastMessage, sent when the current
// handler call returns.
func (d *matchDispatcher) BroadcastMessageDeferred(opCode int64, data []byte, presences []runtime.Presence, sender runtime.Presence, reliable bool) error {
	if d.m.stopped.Load() {
		return errMatchStopped
	}
	d.m.s.mu.Lock()
	ids, env, err := d.validate(opCode, data, presences, sender, reliable)
	d.m.s.mu.Unlock()
	if err != nil || len(ids) == 0 {
		return err
	}
	d.m.deferMu.Lock()
	defer d.m.deferMu.Unlock()
	if len(d.m.deferred) >= matchDeferredQueue {
		return errors.New("too many deferred message broadcasts per tick")
	}
	d.m.deferred = append(d.m.deferred, env)
	d.m.deferTo = append(d.m.deferTo, ids)
	return nil
}

// validate checks a broadcast as the runtime does and returns the
// sessions to send to. s.mu is held.
func (d *matchDispatcher) validate(opCode int64, data []byte, presences []runtime.Presence, sender runtime.Presence, reliable bool) ([]string, *rtapi.Envelope, error) {
	m := d.m
	var targets []MatchPresence
	if presences != nil {
		if len(presences) == 0 {
			return nil, nil, nil
		}
		for _, p := range presences {
			if p == nil {
				return nil, nil, runtimeErr("Presence was nil")
			}
			sid, ok := parseUUID(p.GetSessionId())
			if !ok {
				return nil, nil, runtimeErr("Presence contains an invalid Session ID")
			}
			targets = append(targets, MatchPresence{UserID: p.GetUserId(), SessionID: sid, Node: p.GetNodeId()})
		}
	}
	var from *rtapi.UserPresence
	if sender != nil {
		if _, ok := parseUUID(sender.GetUserId()); !ok {
			return nil, nil, runtimeErr("Sender contains an invalid User ID")
		}
		if _, ok := parseUUID(sender.GetSessionId()); !ok {
			return nil, nil, runtimeErr("Sender contains an invalid Session ID")
		}
		from = &rtapi.UserPresence{UserId: sender.GetUserId(), SessionId: sender.GetSessionId(), Username: sender.GetUsername()}
	}
	inMatch := func(t MatchPresence) bool {
		return slices.ContainsFunc(m.presences, func(q MatchPresence) bool { return q.SessionID == t.SessionID && q.Node == t.Node })
	}
	var ids []string
	switch {
	case targets == nil:
		for _, p := range m.presences {
			ids = append(ids, p.SessionID)
		}
	case len(targets) == 1:
		if _, ok := parseUUID(targets[0].UserID); !ok {
			return nil, nil, runtimeErr("Presence contains an invalid User ID")
		}
		if !inMatch(targets[0]) {
			return nil, nil, nil
		}
		ids = []string{targets[0].SessionID}
	default:
		for _, t := range targets {
			if inMatch(t) {
				ids = append(ids, t.SessionID)
			}
		}
	}
	env := &rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
		MatchId: m.idStr, Presence: from, OpCode: opCode, Data: data, Reliable: reliable}}}
	return ids, env, nil
}

// MatchKick removes presences from the match; they get no message, and
// the match's MatchLeave hears of them.
func (d *matchDispatcher) MatchKick(presences []runtime.Presence) error {
	if d.m.stopped.Load() {
		return errMatchStopped
	}
	type kick struct{ userID, sessionID, node string }
	var kicks []kick
	for _, p := range presences {
		uid, ok := parseUUID(p.GetUserId())
		if !ok {
			return runtimeErr("Presence contains an invalid User ID")
		}
		sid, ok := parseUUID(p.GetSessionId())
		if !ok {
			return runtimeErr("Presence contains an invalid Session ID")
		}
		kicks = append(kicks, kick{uid, sid, p.GetNodeId()})
	}
	s := d.m.s
	s.mu.Lock()
	defer s.rtUnlock()
	for _, k := range kicks {
		if k.node != matchNode {
			continue
		}
		if sess := s.realtime.sessions[k.sessionID]; sess != nil && sess.userID == k.userID {
			s.rtUntrackLocked(sess, d.m.stream, runtime.PresenceReasonLeave)
		}
	}
	return nil
}

// MatchLabelUpdate replaces the match's label in listings.
func (d *matchDispatcher) MatchLabelUpdate(label string) error {
	m := d.m
	if m.stopped.Load() {
		return errMatchStopped
	}
	if len(label) > matchLabelMaxBytes {
		return errors.New("error updating match label: match label too long, must be 0-2048 bytes")
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	m.label = label
	if old := m.s.matches.matches[m.idStr]; old != nil {
		e := *old
		e.label = label
		m.s.putMatchLocked(&e)
	}
	ctx := withRuntimeValue(m.context(), runtime.RUNTIME_CTX_MATCH_LABEL, label)
	m.ctxp.Store(&ctx)
	return nil
}

// Relayed matches.

func relayedStream(id string) rtStream {
	return rtStream{mode: streamModeMatchRelayed, subject: id, subcontext: systemUserID}
}

// rtRelayedMatchChangedLocked keeps the listing of a relayed match in step
// with its presences: listed while anyone is in it, with its size.
func (s *Server) rtRelayedMatchChangedLocked(stream rtStream) {
	id := stream.subject + "."
	n := len(s.realtime.byStream[stream])
	if n == 0 {
		s.removeMatchLocked(id)
		return
	}
	if e := s.matches.matches[id]; e != nil {
		e.size = int32(n)
		return
	}
	s.putMatchLocked(&matchEntry{id: id, size: int32(n), createTime: s.clock.now().UnixNano()})
}

func (s *Server) rtMatchCreate(sess *rtSession, env *rtapi.Envelope) {
	name := env.GetMatchCreate().Name
	id := s.rand.uuid()
	if name != "" {
		// A name always gives the same match.
		id = uuidV5(namespaceDNS, name)
	}
	stream := relayedStream(id)
	s.mu.Lock()
	defer s.rtUnlock()
	ok, isNew := s.rtTrackLocked(sess, stream, rtMeta{username: sess.username})
	if !ok {
		return // the session is closing; no one to answer
	}
	size := int32(1)
	var presences []*rtapi.UserPresence
	if name != "" {
		ps := s.rtPresencesLocked(stream, false, true)
		size = int32(len(ps))
		for _, p := range ps {
			if isNew && p.sess == sess {
				continue
			}
			presences = append(presences, &rtapi.UserPresence{UserId: p.sess.userID, SessionId: p.sess.id, Username: p.meta.username})
		}
	}
	sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Match{Match: &rtapi.Match{
		MatchId: id + ".", Size: size, Presences: presences, Self: sess.self()}}})
}

func (s *Server) rtMatchJoin(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetMatchJoin()
	var idStr, uuid, node string
	byToken := false
	switch v := in.Id.(type) {
	case *rtapi.MatchJoin_MatchId:
		idStr = v.MatchId
		var ok bool
		if uuid, node, ok = splitNodeID(idStr); !ok {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid match ID")
			return
		}
	case *rtapi.MatchJoin_Token:
		mid, ok := parseMatchToken(s.opts.EncryptionKey, v.Token, s.clock.now())
		if ok {
			idStr = mid
			uuid, node, ok = splitNodeID(mid)
		}
		if !ok {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid match token")
			return
		}
		byToken = true
	default:
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "No match ID or token found")
		return
	}
	if node != "" {
		s.rtMatchJoinAuthoritative(sess, env.Cid, idStr, uuid, node, in.Metadata)
		return
	}

	stream := relayedStream(uuid)
	s.mu.Lock()
	defer s.rtUnlock()
	// A token may bring the first user to a match that does not exist yet.
	if !byToken && len(s.realtime.byStream[stream]) == 0 {
		sess.sendError(env.Cid, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
		return
	}
	isNew := s.rtPresenceLocked(sess.id, stream) == nil
	if isNew {
		if ok, _ := s.rtTrackLocked(sess, stream, rtMeta{username: sess.username}); !ok {
			return
		}
	}
	presences := []*rtapi.UserPresence{}
	for _, p := range s.rtPresencesLocked(stream, false, true) {
		if isNew && p.sess == sess {
			continue
		}
		presences = append(presences, &rtapi.UserPresence{UserId: p.sess.userID, SessionId: p.sess.id, Username: p.meta.username})
	}
	sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Match{Match: &rtapi.Match{
		MatchId: idStr, Size: int32(len(presences)), Presences: presences, Self: sess.self()}}})
}

func (s *Server) rtMatchJoinAuthoritative(sess *rtSession, cid, idStr, uuid, node string, metadata map[string]string) {
	notFound := func() { sess.sendError(cid, rtapi.Error_MATCH_NOT_FOUND, "Match not found") }
	if node != matchNode {
		notFound()
		return
	}
	s.mu.Lock()
	m := s.realtime.matches[uuid]
	var res matchJoinResult
	isNew := true
	if m != nil && slices.ContainsFunc(m.presences, func(p MatchPresence) bool { return p.SessionID == sess.id }) {
		res = matchJoinResult{allow: true, label: m.label, presences: slices.Clone(m.presences)}
		isNew = false
	}
	s.mu.Unlock()
	if m == nil {
		notFound()
		return
	}
	if isNew {
		ch := make(chan matchJoinResult, 1)
		if !m.queueJoinAttempt(sess, metadata, ch) {
			res = matchJoinResult{reason: "Match is not currently accepting join requests"}
		} else {
			t := time.NewTimer(matchReplyWait)
			select {
			case res = <-ch:
			case <-t.C:
			case <-sess.ctx.Done():
				t.Stop()
				return
			}
			t.Stop()
		}
	}
	if !res.allow {
		reason := res.reason
		if reason == "" {
			reason = "Match join rejected"
		}
		sess.sendError(cid, rtapi.Error_MATCH_JOIN_REJECTED, reason)
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	if isNew {
		if ok, _ := s.rtTrackLocked(sess, m.stream, rtMeta{username: sess.username}); !ok {
			// The session closed while the match let it in: it leaves.
			m.queueLeaveLocked([]MatchPresence{{UserID: sess.userID, SessionID: sess.id, Username: sess.username,
				Node: matchNode, Reason: runtime.PresenceReasonDisconnect}})
			return
		}
	}
	presences := []*rtapi.UserPresence{}
	for _, p := range res.presences {
		if isNew && p.SessionID == sess.id {
			continue
		}
		presences = append(presences, &rtapi.UserPresence{UserId: p.UserID, SessionId: p.SessionID, Username: p.Username})
	}
	sess.send(&rtapi.Envelope{Cid: cid, Message: &rtapi.Envelope_Match{Match: &rtapi.Match{
		MatchId: idStr, Authoritative: true, Label: wrapperspb.String(res.label), Size: int32(len(presences)),
		Presences: presences, Self: sess.self()}}})
}

func (s *Server) rtMatchLeave(sess *rtSession, env *rtapi.Envelope) {
	uuid, node, ok := splitNodeID(env.GetMatchLeave().MatchId)
	if !ok {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid match ID")
		return
	}
	stream := relayedStream(uuid)
	if node != "" {
		stream = rtStream{mode: streamModeMatchAuthoritative, subject: uuid, subcontext: systemUserID, label: node}
	}
	s.mu.Lock()
	defer s.rtUnlock()
	s.rtUntrackLocked(sess, stream, runtime.PresenceReasonLeave)
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

func (s *Server) rtMatchDataSend(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetMatchDataSend()
	uuid, node, ok := splitNodeID(in.MatchId)
	if !ok {
		// Match data has no answer, so the error has no cid.
		sess.sendError("", rtapi.Error_BAD_INPUT, "Invalid match ID")
		return
	}
	if node != "" {
		stream := rtStream{mode: streamModeMatchAuthoritative, subject: uuid, subcontext: systemUserID, label: node}
		s.mu.Lock()
		member := s.rtPresenceLocked(sess.id, stream) != nil
		m := s.realtime.matches[uuid]
		s.mu.Unlock()
		if !member || m == nil || node != matchNode {
			return
		}
		m.queueData(MatchData{
			MatchPresence: MatchPresence{UserID: sess.userID, SessionID: sess.id, Username: sess.username, Node: matchNode},
			OpCode:        in.OpCode, Data: in.Data, Reliable: in.Reliable,
			ReceiveTime: s.clock.now().UnixMilli(),
		})
		return
	}
	// Targets are matched by session id; any malformed one drops the data.
	var filter []string
	if len(in.Presences) != 0 {
		for _, p := range in.Presences {
			if _, ok := parseUUID(p.GetUserId()); !ok {
				return
			}
			sid, ok := parseUUID(p.GetSessionId())
			if !ok {
				return
			}
			filter = append(filter, sid)
		}
	}
	stream := relayedStream(uuid)
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.realtime.byStream[stream]
	if s.rtPresenceLocked(sess.id, stream) == nil {
		return // not a member
	}
	var to []*rtSession
	for _, p := range ps {
		switch {
		case filter == nil && p.sess == sess:
			// Not echoed to the sender unless asked for.
		case filter == nil || slices.Contains(filter, p.sess.id):
			to = append(to, p.sess)
		}
	}
	if len(to) == 0 {
		return
	}
	rtSendTo(to, &rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
		MatchId: in.MatchId, Presence: sess.self(), OpCode: in.OpCode, Data: in.Data, Reliable: in.Reliable}}})
}
