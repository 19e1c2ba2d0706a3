package nakama

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

type sockEvKind uint8

const (
	sockEvMessage sockEvKind = iota // msg holds the envelope's message
	sockEvError
	sockEvConnect
	sockEvDisconnect
	sockEvReconnecting // msg holds a *ReconnectAttempt
	sockEvReconnected  // msg holds a *ReconnectReport
)

// event is something received, waiting for its handler.
type sockEvent struct {
	kind sockEvKind
	msg  any
	err  error
	// size is the frame's length, counted against EventQueueBytes.
	size int
}

// isEvent reports whether m is a message the server sends unasked.
func isSockEvent(m any) bool {
	switch m.(type) {
	case *rtapi.Envelope_ChannelMessage, *rtapi.Envelope_ChannelPresenceEvent,
		*rtapi.Envelope_MatchData, *rtapi.Envelope_MatchPresenceEvent,
		*rtapi.Envelope_MatchmakerMatched, *rtapi.Envelope_Notifications,
		*rtapi.Envelope_StatusPresenceEvent, *rtapi.Envelope_StreamData,
		*rtapi.Envelope_StreamPresenceEvent, *rtapi.Envelope_Party,
		*rtapi.Envelope_PartyClose, *rtapi.Envelope_PartyData,
		*rtapi.Envelope_PartyJoinRequest, *rtapi.Envelope_PartyLeader,
		*rtapi.Envelope_PartyPresenceEvent, *rtapi.Envelope_PartyMatchmakerTicket,
		*rtapi.Envelope_PartyUpdate:
		return true
	}
	return false
}

// eventQueue is a FIFO of events bounded by count and by bytes; connect,
// disconnect, reconnect and drop reports always fit, so they are never
// lost. With AutoDispatch, a dispatcher runs only while events wait: the
// push that finds none running starts one, so a running dispatcher gets
// more work without a wake-up.
type sockEventQueue struct {
	s       *WebSocket
	mu      sync.Mutex
	buf     []sockEvent
	bytes   int
	dropped int
	// dispatching is set while a dispatcher runs: a goroutine of its own,
	// or (inline, spare set) the adapter's read goroutine, which then
	// reads nothing until the queue is empty or it lends its reading to
	// spare (lent).
	dispatching bool
	spare       func()
	lent        bool
	// inlineOn mirrors spare != nil, so that waiters look without the lock.
	inlineOn atomic.Bool
	// inHandler is set by the dispatcher while it runs handlers, so that
	// Close called from one does not wait for the dispatcher.
	inHandler atomic.Bool
	// batch is the dispatcher's, kept between runs (only one runs at a
	// time); dispatchFn is dispatchLoop made once, so that starting a
	// dispatcher allocates nothing.
	batch      []sockEvent
	dispatchFn func()
}

func (q *sockEventQueue) init(s *WebSocket) { q.s, q.dispatchFn = s, s.dispatchLoop }

// fitsLocked reports whether an event of size bytes fits.
func (q *sockEventQueue) fitsLocked(size int) bool {
	o := &q.s.opts
	return len(q.buf) < o.EventQueueSize && (len(q.buf) == 0 || q.bytes+size <= o.EventQueueBytes)
}

// reportDropsLocked queues the count of dropped events.
func (q *sockEventQueue) reportDropsLocked() {
	if q.dropped == 0 {
		return
	}
	q.buf = append(q.buf, sockEvent{kind: sockEvError,
		err: fmt.Errorf("%w: %d events dropped", ErrEventQueueFull, q.dropped)})
	q.dropped = 0
}

// push queues ev and reports whether it fit. An ordinary event that does
// not fit is dropped and counted; the count is queued before the next
// event that fits, or taken by the next Tick or dispatcher turn.
func (q *sockEventQueue) push(ev sockEvent, always bool) bool {
	fit, _ := q.pushFrom(ev, always, nil)
	return fit
}

// pushFrom is push from an adapter's read goroutine that can hand its
// reading over to spare (nil: it cannot). Where push would start a
// dispatcher, it reports inline instead: the caller runs runDispatch
// itself, saving the wake-up of another goroutine per event, which costs
// more than a handler typically does.
func (q *sockEventQueue) pushFrom(ev sockEvent, always bool, spare func()) (fit, inline bool) {
	q.mu.Lock()
	if q.dropped > 0 && (always || q.fitsLocked(ev.size)) {
		q.reportDropsLocked()
	}
	if !always && !q.fitsLocked(ev.size) {
		q.dropped++
		q.mu.Unlock()
		return false, false
	}
	q.buf = append(q.buf, ev)
	q.bytes += ev.size
	start := q.s.opts.AutoDispatch && !q.dispatching
	q.dispatching = q.dispatching || start
	inline = start && spare != nil
	if inline {
		q.spare, q.lent = spare, false
		q.inlineOn.Store(true)
	}
	q.mu.Unlock()
	if start && !inline {
		go q.dispatchFn()
	}
	return true, inline
}

// lend makes sure the connection is read while the caller waits: when a
// dispatcher runs inline on a read goroutine, which may be the caller's
// own (a handler waiting for an answer) or one the caller waits for, it
// starts the spare read loop, once per inline run, and reports whether it
// did. Anything that may wait for the connection calls it first.
func (q *sockEventQueue) lend() bool {
	if !q.inlineOn.Load() {
		return false
	}
	q.mu.Lock()
	if q.spare == nil || q.lent {
		q.mu.Unlock()
		return false
	}
	q.lent = true
	spare := q.spare
	q.mu.Unlock()
	spare()
	return true
}

// takeLocked moves every queued event, and the drop report, to the end of
// dst[:0] and returns it.
func (q *sockEventQueue) takeLocked(dst []sockEvent) []sockEvent {
	q.reportDropsLocked()
	dst = append(dst[:0], q.buf...)
	clear(q.buf)
	q.buf, q.bytes = q.buf[:0], 0
	if cap(q.buf) > 256 {
		q.buf = nil // a burst does not pin memory on an idle socket
	}
	return dst
}

// busy reports whether a dispatcher runs.
func (q *sockEventQueue) busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dispatching
}

// stats returns the count and bytes of the events waiting.
func (q *sockEventQueue) stats() (n, bytes, dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf), q.bytes, q.dropped
}

// Tick runs, on the calling goroutine, the handlers of every event queued
// when it was called, in arrival order, then the report of events dropped
// since the last Tick, if any, and returns how many it ran. Call it once
// per frame of a game loop. It does nothing (and returns 0) with
// AutoDispatch, or when another Tick is running, a handler's included.
func (s *WebSocket) Tick() int {
	if s.opts.AutoDispatch || !s.tickMu.TryLock() {
		return 0
	}
	defer s.tickMu.Unlock()
	s.q.mu.Lock()
	s.tickBuf = s.q.takeLocked(s.tickBuf)
	s.q.mu.Unlock()
	n := len(s.tickBuf)
	for i := range s.tickBuf {
		s.dispatch(s.tickBuf[i])
		s.tickBuf[i] = sockEvent{}
	}
	return n
}

// dispatchLoop runs handlers until the queue is empty; the push that finds
// no dispatcher running starts it.
func (s *WebSocket) dispatchLoop() { s.runDispatch() }

// runDispatch runs handlers until the queue is empty, and reports whether
// an inline run lent its reading to the spare loop meanwhile (its read
// loop must then end).
func (s *WebSocket) runDispatch() (lent bool) {
	q := &s.q
	for {
		q.mu.Lock()
		if len(q.buf) == 0 && q.dropped == 0 {
			q.dispatching = false
			lent = q.lent
			q.spare, q.lent = nil, false
			q.inlineOn.Store(false)
			if cap(q.batch) > 256 {
				q.batch = nil
			}
			q.mu.Unlock()
			s.maybeDown()
			return lent
		}
		q.batch = q.takeLocked(q.batch)
		batch := q.batch
		q.mu.Unlock()
		q.inHandler.Store(true)
		for i := range batch {
			s.dispatch(batch[i])
			batch[i] = sockEvent{}
		}
		q.inHandler.Store(false)
	}
}

func sockIsClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// dispatch runs ev's handler, turning a panic into an error event.
func (s *WebSocket) dispatch(ev sockEvent) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, r, debug.Stack())
			if ev.kind == sockEvError {
				// The error handler itself panicked: do not loop.
				s.logError("nakama socket error handler panicked", err)
				return
			}
			s.q.push(sockEvent{kind: sockEvError, err: err}, true)
		}
	}()
	h := &s.h
	switch ev.kind {
	case sockEvConnect:
		if f := h.connect.Load(); f != nil && *f != nil {
			(*f)()
		}
		return
	case sockEvDisconnect:
		sockRunHandler(&h.disconnect, ev.err)
		return
	case sockEvReconnecting:
		sockRunHandler(&h.reconnecting, ev.msg.(*ReconnectAttempt))
		return
	case sockEvReconnected:
		sockRunHandler(&h.reconnected, ev.msg.(*ReconnectReport))
		return
	case sockEvError:
		if !sockRunHandler(&h.err, ev.err) {
			s.logError("nakama socket error", ev.err)
		}
		return
	}
	switch m := ev.msg.(type) {
	case *rtapi.Envelope_ChannelMessage:
		sockRunHandler(&h.channelMessage, m.ChannelMessage)
	case *rtapi.Envelope_ChannelPresenceEvent:
		sockRunHandler(&h.channelPresence, m.ChannelPresenceEvent)
	case *rtapi.Envelope_MatchData:
		sockRunHandler(&h.matchData, m.MatchData)
	case *rtapi.Envelope_MatchPresenceEvent:
		sockRunHandler(&h.matchPresence, m.MatchPresenceEvent)
	case *rtapi.Envelope_MatchmakerMatched:
		sockRunHandler(&h.matchmakerMatched, m.MatchmakerMatched)
	case *rtapi.Envelope_Notifications:
		for _, n := range m.Notifications.GetNotifications() {
			sockRunHandler(&h.notification, n)
		}
	case *rtapi.Envelope_StatusPresenceEvent:
		sockRunHandler(&h.statusPresence, m.StatusPresenceEvent)
	case *rtapi.Envelope_StreamData:
		sockRunHandler(&h.streamData, m.StreamData)
	case *rtapi.Envelope_StreamPresenceEvent:
		sockRunHandler(&h.streamPresence, m.StreamPresenceEvent)
	case *rtapi.Envelope_Party:
		sockRunHandler(&h.party, m.Party)
	case *rtapi.Envelope_PartyClose:
		sockRunHandler(&h.partyClose, m.PartyClose)
	case *rtapi.Envelope_PartyData:
		sockRunHandler(&h.partyData, m.PartyData)
	case *rtapi.Envelope_PartyJoinRequest:
		sockRunHandler(&h.partyJoinRequest, m.PartyJoinRequest)
	case *rtapi.Envelope_PartyLeader:
		sockRunHandler(&h.partyLeader, m.PartyLeader)
	case *rtapi.Envelope_PartyPresenceEvent:
		sockRunHandler(&h.partyPresence, m.PartyPresenceEvent)
	case *rtapi.Envelope_PartyMatchmakerTicket:
		sockRunHandler(&h.partyMatchmakerTicket, m.PartyMatchmakerTicket)
	case *rtapi.Envelope_PartyUpdate:
		sockRunHandler(&h.partyUpdate, m.PartyUpdate)
	}
}

func (s *WebSocket) logError(msg string, err error) {
	if l := s.opts.Logger; l != nil {
		logWarn(l, msg, err)
	}
}

// runHandler runs the handler in p, if one is set, and reports whether it did.
func sockRunHandler[T any](p *atomic.Pointer[func(T)], v T) bool {
	f := p.Load()
	if f == nil || *f == nil {
		return false
	}
	(*f)(v)
	return true
}

// handlers are the event handlers, each replaceable at any time.
type sockHandlers struct {
	connect               atomic.Pointer[func()]
	disconnect            atomic.Pointer[func(error)]
	reconnecting          atomic.Pointer[func(*ReconnectAttempt)]
	reconnected           atomic.Pointer[func(*ReconnectReport)]
	err                   atomic.Pointer[func(error)]
	channelMessage        atomic.Pointer[func(*api.ChannelMessage)]
	channelPresence       atomic.Pointer[func(*rtapi.ChannelPresenceEvent)]
	matchData             atomic.Pointer[func(*rtapi.MatchData)]
	matchPresence         atomic.Pointer[func(*rtapi.MatchPresenceEvent)]
	matchmakerMatched     atomic.Pointer[func(*rtapi.MatchmakerMatched)]
	notification          atomic.Pointer[func(*api.Notification)]
	statusPresence        atomic.Pointer[func(*rtapi.StatusPresenceEvent)]
	streamData            atomic.Pointer[func(*rtapi.StreamData)]
	streamPresence        atomic.Pointer[func(*rtapi.StreamPresenceEvent)]
	party                 atomic.Pointer[func(*rtapi.Party)]
	partyClose            atomic.Pointer[func(*rtapi.PartyClose)]
	partyData             atomic.Pointer[func(*rtapi.PartyData)]
	partyJoinRequest      atomic.Pointer[func(*rtapi.PartyJoinRequest)]
	partyLeader           atomic.Pointer[func(*rtapi.PartyLeader)]
	partyPresence         atomic.Pointer[func(*rtapi.PartyPresenceEvent)]
	partyMatchmakerTicket atomic.Pointer[func(*rtapi.PartyMatchmakerTicket)]
	partyUpdate           atomic.Pointer[func(*rtapi.PartyUpdate)]
}

// OnConnect sets the handler run first for each connection Connect opens.
// Every handler setter replaces the previous handler; nil removes it, and
// events that have no handler are dropped (errors are logged, when
// SocketOptions.Logger is set).
func (s *WebSocket) OnConnect(f func()) { s.h.connect.Store(&f) }

// OnDisconnect sets the handler run last for each connection, with the
// *CloseError that ended it: after Close, a close from the server, or a lost
// link (a heartbeat timeout, a failed read or write). When a reconnect
// follows, the error matches ErrReconnecting and OnReconnecting comes next.
func (s *WebSocket) OnDisconnect(f func(err error)) { s.h.disconnect.Store(&f) }

// OnReconnecting sets the handler run before each reconnect attempt, with
// the attempt's number and the delay before it.
func (s *WebSocket) OnReconnecting(f func(*ReconnectAttempt)) { s.h.reconnecting.Store(&f) }

// OnReconnected sets the handler run when a reconnect ends: after the new
// connection's OnConnect and the restore of what the socket had joined,
// with what was restored and what was not; or when the socket gave up
// (ReconnectReport.Err), which leaves it disconnected.
func (s *WebSocket) OnReconnected(f func(*ReconnectReport)) { s.h.reconnected.Store(&f) }

// OnError sets the handler of errors the connection survives: a
// *SocketError the server sent unasked (a failed SendMatchData, for
// instance), a frame that could not be decoded or was not expected
// (wrapping ErrBadResponse), dropped events (ErrEventQueueFull) and
// handler panics (ErrHandlerPanic).
func (s *WebSocket) OnError(f func(err error)) { s.h.err.Store(&f) }

// OnChannelMessage sets the handler of messages in joined chat channels.
func (s *WebSocket) OnChannelMessage(f func(*api.ChannelMessage)) { s.h.channelMessage.Store(&f) }

// OnChannelPresence sets the handler of joins and leaves in chat channels.
func (s *WebSocket) OnChannelPresence(f func(*rtapi.ChannelPresenceEvent)) {
	s.h.channelPresence.Store(&f)
}

// OnMatchData sets the handler of data sent to the user's matches.
func (s *WebSocket) OnMatchData(f func(*rtapi.MatchData)) { s.h.matchData.Store(&f) }

// OnMatchPresence sets the handler of joins and leaves in matches.
func (s *WebSocket) OnMatchPresence(f func(*rtapi.MatchPresenceEvent)) { s.h.matchPresence.Store(&f) }

// OnMatchmakerMatched sets the handler of matchmaker results.
func (s *WebSocket) OnMatchmakerMatched(f func(*rtapi.MatchmakerMatched)) {
	s.h.matchmakerMatched.Store(&f)
}

// OnNotification sets the handler of notifications; it runs once per
// notification, in the order the server listed them.
func (s *WebSocket) OnNotification(f func(*api.Notification)) { s.h.notification.Store(&f) }

// OnStatusPresence sets the handler of status changes of followed users.
func (s *WebSocket) OnStatusPresence(f func(*rtapi.StatusPresenceEvent)) {
	s.h.statusPresence.Store(&f)
}

// OnStreamData sets the handler of data on streams the server put the
// user in.
func (s *WebSocket) OnStreamData(f func(*rtapi.StreamData)) { s.h.streamData.Store(&f) }

// OnStreamPresence sets the handler of joins and leaves on streams.
func (s *WebSocket) OnStreamPresence(f func(*rtapi.StreamPresenceEvent)) {
	s.h.streamPresence.Store(&f)
}

// OnParty sets the handler of the party state sent on joining a party.
func (s *WebSocket) OnParty(f func(*rtapi.Party)) { s.h.party.Store(&f) }

// OnPartyClose sets the handler of a party's end.
func (s *WebSocket) OnPartyClose(f func(*rtapi.PartyClose)) { s.h.partyClose.Store(&f) }

// OnPartyData sets the handler of data sent to the user's parties.
func (s *WebSocket) OnPartyData(f func(*rtapi.PartyData)) { s.h.partyData.Store(&f) }

// OnPartyJoinRequest sets the handler of requests to join a party the user
// leads.
func (s *WebSocket) OnPartyJoinRequest(f func(*rtapi.PartyJoinRequest)) {
	s.h.partyJoinRequest.Store(&f)
}

// OnPartyLeader sets the handler of a party's change of leader.
func (s *WebSocket) OnPartyLeader(f func(*rtapi.PartyLeader)) { s.h.partyLeader.Store(&f) }

// OnPartyPresence sets the handler of joins and leaves in parties.
func (s *WebSocket) OnPartyPresence(f func(*rtapi.PartyPresenceEvent)) { s.h.partyPresence.Store(&f) }

// OnPartyMatchmakerTicket sets the handler of the ticket the party leader
// got from AddMatchmakerParty, sent to the other members.
func (s *WebSocket) OnPartyMatchmakerTicket(f func(*rtapi.PartyMatchmakerTicket)) {
	s.h.partyMatchmakerTicket.Store(&f)
}

// OnPartyUpdate sets the handler of the update the server sends a party's
// members when its leader changes its label, openness or visibility.
func (s *WebSocket) OnPartyUpdate(f func(*rtapi.PartyUpdate)) { s.h.partyUpdate.Store(&f) }
