package nakamatest

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The realtime socket, served at /ws as the real server serves it: one
// session per connection, a reader that handles requests one at a time in
// arrival order (the server's pipeline), a writer that drains a bounded
// outgoing queue and pings, and a presence tracker whose join and leave
// events drive channels, matches, parties and status.
//
// All realtime state lives in realtimeState and, like every area's, is
// guarded by s.mu. Presence events are queued while a request holds s.mu
// and dispatched (rtFlushLocked) just before it lets go, after the
// request's own answer was queued: the order a client of the real server
// sees, whose tracker dispatches events from a goroutine of its own.

// The socket limits of the real server's default configuration.
const (
	rtMaxMessageSize = 4096 // socket.max_message_size_bytes
	rtOutgoingQueue  = 64   // socket.outgoing_queue_size
	rtPingPeriod     = 15 * time.Second
	rtPongWait       = 25 * time.Second
	rtWriteWait      = 5 * time.Second
)

// The presence stream modes besides the chat ones in channels.go.
const (
	streamModeNotifications      uint8 = 0
	streamModeStatus             uint8 = 1
	streamModeMatchRelayed       uint8 = 5
	streamModeMatchAuthoritative uint8 = 6
	streamModeParty              uint8 = 7
)

// The socket's JSON: what the server's protojson marshaler writes, and a
// decoder that, like the server's, refuses unknown fields.
var (
	rtJSONMarshal   = protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true}
	rtJSONUnmarshal = protojson.UnmarshalOptions{}
)

// rtStream is a presence stream. channelStream already has the server's
// shape (mode, subject, subcontext, label; the nil UUID for an absent
// subject), so every stream uses it.
type rtStream = channelStream

func userStream(mode uint8, userID string) rtStream {
	return rtStream{mode: mode, subject: userID, subcontext: systemUserID}
}

// rtMeta is what a presence carries beside its ids.
type rtMeta struct {
	hidden      bool
	persistence bool
	username    string
	status      string
}

// rtPresence is one session's presence on one stream.
type rtPresence struct {
	sess   *rtSession
	stream rtStream
	meta   rtMeta
	reason runtime.PresenceReason
}

func (p *rtPresence) userPresence() *rtapi.UserPresence {
	return &rtapi.UserPresence{UserId: p.sess.userID, SessionId: p.sess.id, Username: p.meta.username,
		Persistence: p.meta.persistence}
}

// rtEvent is a batch of joins and leaves, as the tracker queues them.
type rtEvent struct {
	joins, leaves []*rtPresence
}

// realtimeState is the realtime area's share of the server state, guarded
// by Server.mu.
type realtimeState struct {
	sessions map[string]*rtSession

	// The tracker: presences by stream in join order, and by session.
	byStream  map[rtStream][]*rtPresence
	bySession map[string]map[rtStream]*rtPresence
	events    []rtEvent

	// The status registry: who follows whom, by session and by user, and
	// which sessions of each user show a status.
	follows   map[string]map[string]struct{} // session id → followed user ids
	followers map[string]map[string]struct{} // user id → following session ids
	online    map[string]map[string]struct{} // user id → session ids with a status

	matchHandlers map[string]MatchHandler
	matches       map[string]*rtMatch // authoritative, by UUID
	parties       map[string]*rtParty // by UUID
	mm            matchmakerState

	// closed refuses new sessions, matches and goroutines while Close
	// waits for wg, which counts every goroutine of the area.
	closed bool
	wg     sync.WaitGroup
}

func (s *Server) registerRealtime() {
	rt := &s.realtime
	rt.sessions = make(map[string]*rtSession)
	rt.byStream = make(map[rtStream][]*rtPresence)
	rt.bySession = make(map[string]map[rtStream]*rtPresence)
	rt.follows = make(map[string]map[string]struct{})
	rt.followers = make(map[string]map[string]struct{})
	rt.online = make(map[string]map[string]struct{})
	rt.matchHandlers = make(map[string]MatchHandler)
	rt.matches = make(map[string]*rtMatch)
	rt.parties = make(map[string]*rtParty)
	rt.mm.init()

	s.handlePath("/ws", http.HandlerFunc(s.serveSocket))
	s.onClose = append(s.onClose, s.rtShutdown)
	s.onDropConnections = append(s.onDropConnections, s.rtDropSessions)
	s.notifications.live = append(s.notifications.live, s.rtPushNotifications)
	s.matches.matchmakerStats = s.rtMatchmakerStats
	s.st.userDeleted = append(s.st.userDeleted, func(userID string) {
		// Deleting an account disconnects its sockets, as the server does.
		for _, sess := range s.realtime.sessions {
			if sess.userID == userID {
				sess.initClose("server-side session disconnect", false, false)
			}
		}
	})
}

// rtSession is one socket connection.
type rtSession struct {
	s        *Server
	id       string
	userID   string
	username string
	vars     map[string]string
	expiry   int64
	lang     string
	json     bool
	conn     *websocket.Conn

	clientIP, clientPort string                    // the peer's address, as runtime contexts see it
	capture              atomic.Pointer[rtCapture] // see rtHandle

	// ctx ends when the session starts closing.
	ctx    context.Context
	cancel context.CancelFunc

	out chan []byte

	closeMu     sync.Mutex
	closing     atomic.Bool
	stop        chan struct{} // closed by initClose
	closeReason string
	closeFlush  bool
	closeAbrupt bool
	closeFinal  [][]byte // frames written just before the close frame

	writerDone chan struct{}
	done       chan struct{} // closed once the session is cleaned up
}

// initClose starts closing the session, once: the writer sends what it must
// and then a close frame with reason (none when reason is ""), or drops the
// connection at once when abrupt. flush writes what is already queued
// first; final messages go out last, before the close frame, as the
// server's session close writes them. It never blocks, so it may run with
// s.mu held.
func (sess *rtSession) initClose(reason string, flush, abrupt bool, final ...*rtapi.Envelope) {
	sess.closeMu.Lock()
	defer sess.closeMu.Unlock()
	if sess.closing.Load() {
		return
	}
	sess.closeReason, sess.closeFlush, sess.closeAbrupt = reason, flush, abrupt
	for _, env := range final {
		b, err := rtEncode(env, sess.json)
		if err != nil {
			sess.s.log.Warn("nakamatest: encode realtime message", "error", err)
			continue
		}
		sess.closeFinal = append(sess.closeFinal, b)
	}
	sess.closing.Store(true)
	sess.cancel()
	close(sess.stop)
}

// sendBytes queues a frame for the writer. A session whose queue is full
// is closed, as the server closes a client too slow to read, rather than
// let messages go missing.
func (sess *rtSession) sendBytes(b []byte) {
	if sess.closing.Load() {
		return
	}
	select {
	case sess.out <- b:
	default:
		sess.initClose("session outgoing queue full", false, false)
	}
}

func (sess *rtSession) send(env *rtapi.Envelope) {
	if c := sess.capture.Load(); c != nil && env.Cid == c.cid {
		c.record(env)
	}
	b, err := rtEncode(env, sess.json)
	if err != nil {
		sess.s.log.Warn("nakamatest: encode realtime message", "error", err)
		return
	}
	sess.sendBytes(b)
}

// sendError answers a request with the server's error envelope.
func (sess *rtSession) sendError(cid string, code rtapi.Error_Code, msg string) {
	sess.send(&rtapi.Envelope{Cid: cid, Message: &rtapi.Envelope_Error{Error: &rtapi.Error{Code: int32(code), Message: msg}}})
}

func (sess *rtSession) self() *rtapi.UserPresence {
	return &rtapi.UserPresence{UserId: sess.userID, SessionId: sess.id, Username: sess.username}
}

func rtEncode(env *rtapi.Envelope, json bool) ([]byte, error) {
	if json {
		return rtJSONMarshal.Marshal(env)
	}
	return proto.Marshal(env)
}

// rtFrame encodes one envelope for many sessions, each format once.
type rtFrame struct {
	env    *rtapi.Envelope
	pb, js []byte
}

func (f *rtFrame) sendTo(sess *rtSession) {
	var err error
	if sess.json {
		if f.js == nil {
			f.js, err = rtEncode(f.env, true)
		}
		if err == nil {
			sess.sendBytes(f.js)
		}
	} else {
		if f.pb == nil {
			f.pb, err = rtEncode(f.env, false)
		}
		if err == nil {
			sess.sendBytes(f.pb)
		}
	}
}

// rtSendTo sends env to each of the sessions. s.mu is held.
func rtSendTo(sessions []*rtSession, env *rtapi.Envelope) {
	f := &rtFrame{env: env}
	for _, sess := range sessions {
		f.sendTo(sess)
	}
}

// rtSendToStreamLocked sends env to every session on the stream, hidden
// presences included, as the server's router does.
func (s *Server) rtSendToStreamLocked(stream rtStream, env *rtapi.Envelope) {
	ps := s.realtime.byStream[stream]
	sessions := make([]*rtSession, len(ps))
	for i, p := range ps {
		sessions[i] = p.sess
	}
	rtSendTo(sessions, env)
}

// tokenListContains reports whether a comma-separated header lists token,
// ignoring case, as the server's WebSocket library reads Connection and
// Upgrade.
func tokenListContains(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// serveSocket is the /ws route: the server's checks, in its order, then
// the upgrade and the session's life.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		// Only GET reaches the socket; anything else falls through to the
		// gateway, which has no such route.
		w.Header().Add("Cache-Control", "no-store, no-cache, must-revalidate")
		s.serveAPI(w, r)
		return
	}
	q := r.URL.Query()
	var asJSON bool
	switch q.Get("format") {
	case "", "json":
		asJSON = true
	case "protobuf":
	default:
		http.Error(w, "Invalid format parameter", http.StatusBadRequest)
		return
	}
	var token string
	if auth := r.Header["Authorization"]; len(auth) >= 1 {
		const prefix = "Bearer "
		if !strings.HasPrefix(auth[0], prefix) {
			http.Error(w, "Missing or invalid token", http.StatusUnauthorized)
			return
		}
		token = auth[0][len(prefix):]
	} else {
		token = q.Get("token")
	}
	if token == "" {
		http.Error(w, "Missing or invalid token", http.StatusUnauthorized)
		return
	}
	claims, ok := parseToken(s.opts.EncryptionKey, token, s.clock.now())
	if ok {
		s.mu.Lock()
		ok = s.st.validSession(claims.UserID, claims.ExpiresAt, claims.TokenID, s.tokenLifetime())
		s.mu.Unlock()
	}
	if !ok {
		http.Error(w, "Missing or invalid token", http.StatusUnauthorized)
		return
	}
	lang := "en"
	if l := q.Get("lang"); l != "" {
		lang = l
	}
	// The handshake checks of the server's WebSocket library, which answers
	// every failure with the bare status text.
	if !tokenListContains(r.Header, "Connection", "upgrade") || !tokenListContains(r.Header, "Upgrade", "websocket") ||
		!tokenListContains(r.Header, "Sec-Websocket-Version", "13") {
		w.Header().Set("Sec-Websocket-Version", "13")
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	if key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-Websocket-Key")); err != nil || len(key) != 16 {
		w.Header().Set("Sec-Websocket-Version", "13")
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	status, _ := strconv.ParseBool(q.Get("status"))
	ctx, cancel := context.WithCancel(context.Background())
	sess := &rtSession{s: s, id: s.rand.uuid(), userID: claims.UserID, username: claims.Username, vars: claims.Vars,
		expiry: claims.ExpiresAt, lang: lang, json: asJSON, ctx: ctx, cancel: cancel,
		out: make(chan []byte, rtOutgoingQueue), stop: make(chan struct{}), writerDone: make(chan struct{}),
		done: make(chan struct{})}
	sess.clientIP, sess.clientPort = clientAddress(r.Header, r.RemoteAddr)

	// The session is registered before the handshake completes, so that
	// once a client's connect returns, what is sent to its user reaches
	// it; until the writer starts, messages wait in its queue.
	s.mu.Lock()
	if s.realtime.closed {
		s.mu.Unlock()
		cancel()
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	s.realtime.wg.Add(1)
	defer s.realtime.wg.Done()
	defer close(sess.done)
	s.realtime.sessions[sess.id] = sess
	// Every session follows its own user's status, and has a hidden
	// presence on its user's notification stream; with status=true it
	// also shows an empty status.
	s.rtFollowLocked(sess.id, []string{sess.userID})
	s.rtTrackLocked(sess, userStream(streamModeNotifications, sess.userID), rtMeta{hidden: true, username: sess.username})
	if status {
		s.rtTrackLocked(sess, userStream(streamModeStatus, sess.userID), rtMeta{username: sess.username})
	}
	s.rtFlushLocked()
	s.mu.Unlock()

	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		// Accept has answered.
		sess.initClose("", false, true)
		s.mu.Lock()
		s.rtCleanupLocked(sess)
		s.rtFlushLocked()
		s.mu.Unlock()
		close(sess.writerDone)
		return
	}
	conn.SetReadLimit(rtMaxMessageSize)
	sess.conn = conn
	s.sessionEvent(sess, "session_start", s.modules.sessionStart)

	go sess.writeLoop()
	sess.readLoop()

	sess.initClose("", false, false)
	s.mu.Lock()
	s.rtCleanupLocked(sess)
	s.rtFlushLocked()
	s.mu.Unlock()
	<-sess.writerDone
	s.sessionEvent(sess, "session_end", s.modules.sessionEnd)
}

// readLoop reads and handles requests until the connection ends or a
// request ends it.
func (sess *rtSession) readLoop() {
	want := websocket.MessageBinary
	if sess.json {
		want = websocket.MessageText
	}
	for {
		typ, data, err := sess.conn.Read(context.Background())
		if err != nil {
			return
		}
		if typ != want {
			sess.initClose("received unexpected WebSocket message type", false, false)
			return
		}
		env := &rtapi.Envelope{}
		if sess.json {
			err = rtJSONUnmarshal.Unmarshal(data, env)
		} else {
			err = proto.Unmarshal(data, env)
		}
		if err != nil {
			sess.initClose("received malformed payload", false, false)
			return
		}
		if !sess.s.rtProcess(sess, env) {
			// The error envelope goes out before the close frame.
			sess.initClose("error processing message", true, false)
			return
		}
	}
}

// writeLoop writes queued frames and pings until the session closes.
func (sess *rtSession) writeLoop() {
	defer close(sess.writerDone)
	typ := websocket.MessageBinary
	if sess.json {
		typ = websocket.MessageText
	}
	write := func(b []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), rtWriteWait)
		defer cancel()
		return sess.conn.Write(ctx, typ, b)
	}
	ping := time.NewTimer(rtPingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-sess.stop:
			sess.finishClose(write)
			return
		case b := <-sess.out:
			if err := write(b); err != nil {
				sess.initClose("", false, true)
				_ = sess.conn.CloseNow()
				return
			}
		case <-ping.C:
			ctx, cancel := context.WithTimeout(context.Background(), rtPongWait)
			err := sess.conn.Ping(ctx)
			cancel()
			if err != nil {
				sess.initClose("", false, true)
				_ = sess.conn.CloseNow()
				return
			}
			ping.Reset(rtPingPeriod)
		}
	}
}

func (sess *rtSession) finishClose(write func([]byte) error) {
	sess.closeMu.Lock()
	reason, flush, abrupt, final := sess.closeReason, sess.closeFlush, sess.closeAbrupt, sess.closeFinal
	sess.closeMu.Unlock()
	if abrupt {
		_ = sess.conn.CloseNow()
		return
	}
	if flush {
	drain:
		for {
			select {
			case b := <-sess.out:
				if write(b) != nil {
					break drain
				}
			default:
				break drain
			}
		}
	}
	for _, b := range final {
		if write(b) != nil {
			break
		}
	}
	if reason == "" {
		// The peer closed the connection, or it broke: nothing to say.
		_ = sess.conn.CloseNow()
		return
	}
	_ = sess.conn.Close(websocket.StatusNormalClosure, reason)
}

// rtProcess handles one request as the server's pipeline does, and reports
// whether the session may go on.
func (s *Server) rtProcess(sess *rtSession, env *rtapi.Envelope) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Warn("nakamatest: realtime handler panicked", "panic", v, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	if env.Message == nil {
		sess.sendError(env.Cid, rtapi.Error_MISSING_PAYLOAD, "Missing message.")
		return false
	}
	var fn func(*rtSession, *rtapi.Envelope)
	switch env.Message.(type) {
	case *rtapi.Envelope_ChannelJoin:
		fn = s.rtChannelJoin
	case *rtapi.Envelope_ChannelLeave:
		fn = s.rtChannelLeave
	case *rtapi.Envelope_ChannelMessageSend:
		fn = s.rtChannelMessageSend
	case *rtapi.Envelope_ChannelMessageUpdate:
		fn = s.rtChannelMessageUpdate
	case *rtapi.Envelope_ChannelMessageRemove:
		fn = s.rtChannelMessageRemove
	case *rtapi.Envelope_MatchCreate:
		fn = s.rtMatchCreate
	case *rtapi.Envelope_MatchDataSend:
		fn = s.rtMatchDataSend
	case *rtapi.Envelope_MatchJoin:
		fn = s.rtMatchJoin
	case *rtapi.Envelope_MatchLeave:
		fn = s.rtMatchLeave
	case *rtapi.Envelope_MatchmakerAdd:
		fn = s.rtMatchmakerAdd
	case *rtapi.Envelope_MatchmakerRemove:
		fn = s.rtMatchmakerRemove
	case *rtapi.Envelope_Ping:
		fn = func(sess *rtSession, env *rtapi.Envelope) {
			sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Pong{Pong: &rtapi.Pong{}}})
		}
	case *rtapi.Envelope_Pong:
		fn = func(*rtSession, *rtapi.Envelope) {}
	case *rtapi.Envelope_Rpc:
		fn = s.rtRPC
	case *rtapi.Envelope_StatusFollow:
		fn = s.rtStatusFollow
	case *rtapi.Envelope_StatusUnfollow:
		fn = s.rtStatusUnfollow
	case *rtapi.Envelope_StatusUpdate:
		fn = s.rtStatusUpdate
	case *rtapi.Envelope_PartyCreate:
		fn = s.rtPartyCreate
	case *rtapi.Envelope_PartyJoin:
		fn = s.rtPartyJoin
	case *rtapi.Envelope_PartyLeave:
		fn = s.rtPartyLeave
	case *rtapi.Envelope_PartyPromote:
		fn = s.rtPartyPromote
	case *rtapi.Envelope_PartyAccept:
		fn = s.rtPartyAccept
	case *rtapi.Envelope_PartyRemove:
		fn = s.rtPartyRemove
	case *rtapi.Envelope_PartyClose:
		fn = s.rtPartyClose
	case *rtapi.Envelope_PartyJoinRequestList:
		fn = s.rtPartyJoinRequestList
	case *rtapi.Envelope_PartyMatchmakerAdd:
		fn = s.rtPartyMatchmakerAdd
	case *rtapi.Envelope_PartyMatchmakerRemove:
		fn = s.rtPartyMatchmakerRemove
	case *rtapi.Envelope_PartyDataSend:
		fn = s.rtPartyDataSend
	case *rtapi.Envelope_PartyUpdate:
		fn = s.rtPartyUpdate
	default:
		// A message only the server sends, or one this version does not
		// know: the client is incompatible, and is disconnected.
		sess.sendError(env.Cid, rtapi.Error_UNRECOGNIZED_PAYLOAD, "Unrecognized message.")
		return false
	}
	return s.rtHandle(sess, env, fn)
}

// rtUnlock dispatches the presence events the work under s.mu queued, then
// releases s.mu. Socket handlers defer it, so a request's own answer (sent
// before) precedes the events it caused.
func (s *Server) rtUnlock() {
	defer s.mu.Unlock()
	s.rtFlushLocked()
}

// rtCleanupLocked releases what a closed session held: matchmaker tickets,
// presences (with disconnect as the leave reason), status follows.
func (s *Server) rtCleanupLocked(sess *rtSession) {
	s.rtMatchmakerRemoveSessionAllLocked(sess.id)
	s.rtUntrackAllLocked(sess, runtime.PresenceReasonDisconnect)
	s.rtUnfollowAllLocked(sess.id)
	delete(s.realtime.sessions, sess.id)
}

// rtShutdown is Close's part: every socket is dropped, every match stopped
// and the matchmaker halted, and Close returns once their goroutines are
// gone. The real server's process would simply exit.
func (s *Server) rtShutdown() {
	s.mu.Lock()
	s.realtime.closed = true
	for _, sess := range s.realtime.sessions {
		sess.initClose("", false, true)
	}
	for _, m := range s.realtime.matches {
		s.rtStopMatchLocked(m)
	}
	s.rtMatchmakerHaltLocked()
	s.rtFlushLocked()
	s.mu.Unlock()
	s.realtime.wg.Wait()
	s.mu.Lock()
	s.realtime.closed = false
	s.mu.Unlock()
}

// rtDropSessions is CloseClientConnections' part: every socket is dropped
// without a close frame, as a network failure would, and cleaned up.
func (s *Server) rtDropSessions() {
	s.mu.Lock()
	sessions := make([]*rtSession, 0, len(s.realtime.sessions))
	for _, sess := range s.realtime.sessions {
		sess.initClose("", false, true)
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		<-sess.done
	}
}

// rtPushNotifications delivers notifications to the user's sockets, as
// the server routes them to its notification stream. s.mu is held.
func (s *Server) rtPushNotifications(userID string, ns []*api.Notification) {
	if len(ns) == 0 {
		return
	}
	ps := s.realtime.byStream[userStream(streamModeNotifications, userID)]
	if len(ps) == 0 {
		return
	}
	out := make([]*api.Notification, len(ns))
	for i, n := range ns {
		out[i] = proto.Clone(n).(*api.Notification)
	}
	sessions := make([]*rtSession, len(ps))
	for i, p := range ps {
		sessions[i] = p.sess
	}
	rtSendTo(sessions, &rtapi.Envelope{Message: &rtapi.Envelope_Notifications{Notifications: &rtapi.Notifications{Notifications: out}}})
}

// The tracker.

// rtTrackLocked adds the session's presence on a stream and reports
// whether it could (not for a closing session) and whether it is new. A
// visible new presence is announced.
func (s *Server) rtTrackLocked(sess *rtSession, stream rtStream, meta rtMeta) (ok, isNew bool) {
	if sess.ctx.Err() != nil {
		return false, false
	}
	rt := &s.realtime
	mine := rt.bySession[sess.id]
	if mine == nil {
		mine = make(map[rtStream]*rtPresence)
		rt.bySession[sess.id] = mine
	}
	if _, dup := mine[stream]; dup {
		return true, false
	}
	p := &rtPresence{sess: sess, stream: stream, meta: meta, reason: runtime.PresenceReasonJoin}
	mine[stream] = p
	rt.byStream[stream] = append(rt.byStream[stream], p)
	s.rtStreamChangedLocked(stream)
	if !meta.hidden {
		rt.events = append(rt.events, rtEvent{joins: []*rtPresence{p}})
	}
	return true, true
}

// rtUntrackLocked drops the session's presence on a stream, if any, and
// announces it with the given reason.
func (s *Server) rtUntrackLocked(sess *rtSession, stream rtStream, reason runtime.PresenceReason) {
	p := s.rtRemovePresenceLocked(sess.id, stream)
	if p != nil && !p.meta.hidden {
		p.reason = reason
		s.realtime.events = append(s.realtime.events, rtEvent{leaves: []*rtPresence{p}})
	}
}

// rtRemovePresenceLocked drops a presence without announcing it.
func (s *Server) rtRemovePresenceLocked(sessionID string, stream rtStream) *rtPresence {
	rt := &s.realtime
	mine := rt.bySession[sessionID]
	p := mine[stream]
	if p == nil {
		return nil
	}
	delete(mine, stream)
	if len(mine) == 0 {
		delete(rt.bySession, sessionID)
	}
	ps := slices.DeleteFunc(rt.byStream[stream], func(q *rtPresence) bool { return q == p })
	if len(ps) == 0 {
		delete(rt.byStream, stream)
	} else {
		rt.byStream[stream] = ps
	}
	s.rtStreamChangedLocked(stream)
	return p
}

// rtUntrackAllLocked drops every presence of a session in one event.
func (s *Server) rtUntrackAllLocked(sess *rtSession, reason runtime.PresenceReason) {
	mine := s.realtime.bySession[sess.id]
	if len(mine) == 0 {
		return
	}
	// Streams in the order the session joined them, so events are stable.
	all := make([]*rtPresence, 0, len(mine))
	for _, p := range mine {
		all = append(all, p)
	}
	slices.SortFunc(all, func(a, b *rtPresence) int { return cmpStream(a.stream, b.stream) })
	var leaves []*rtPresence
	for _, p := range all {
		s.rtRemovePresenceLocked(sess.id, p.stream)
		if !p.meta.hidden {
			p.reason = reason
			leaves = append(leaves, p)
		}
	}
	if len(leaves) > 0 {
		s.realtime.events = append(s.realtime.events, rtEvent{leaves: leaves})
	}
}

func cmpStream(a, b rtStream) int {
	if a.mode != b.mode {
		return int(a.mode) - int(b.mode)
	}
	if c := strings.Compare(a.subject, b.subject); c != 0 {
		return c
	}
	if c := strings.Compare(a.subcontext, b.subcontext); c != 0 {
		return c
	}
	return strings.Compare(a.label, b.label)
}

// rtUpdateLocked replaces (or adds) the session's presence on a stream: the
// old one leaves and the new one joins in a single event.
func (s *Server) rtUpdateLocked(sess *rtSession, stream rtStream, meta rtMeta) bool {
	if sess.ctx.Err() != nil {
		return false
	}
	rt := &s.realtime
	mine := rt.bySession[sess.id]
	if mine == nil {
		mine = make(map[rtStream]*rtPresence)
		rt.bySession[sess.id] = mine
	}
	old := mine[stream]
	p := &rtPresence{sess: sess, stream: stream, meta: meta, reason: runtime.PresenceReasonUpdate}
	mine[stream] = p
	if old != nil {
		i := slices.Index(rt.byStream[stream], old)
		rt.byStream[stream][i] = p
	} else {
		rt.byStream[stream] = append(rt.byStream[stream], p)
		s.rtStreamChangedLocked(stream)
	}
	var ev rtEvent
	if !meta.hidden {
		ev.joins = []*rtPresence{p}
	}
	if old != nil && !old.meta.hidden {
		old.reason = runtime.PresenceReasonUpdate
		ev.leaves = []*rtPresence{old}
	}
	if ev.joins != nil || ev.leaves != nil {
		rt.events = append(rt.events, ev)
	}
	return true
}

// rtUntrackStreamLocked drops everyone from a stream without announcing
// it, as when a match or party ends.
func (s *Server) rtUntrackStreamLocked(stream rtStream) {
	for _, p := range slices.Clone(s.realtime.byStream[stream]) {
		s.rtRemovePresenceLocked(p.sess.id, stream)
	}
}

// rtPresencesLocked lists a stream's presences in join order.
func (s *Server) rtPresencesLocked(stream rtStream, hidden, visible bool) []*rtPresence {
	var out []*rtPresence
	for _, p := range s.realtime.byStream[stream] {
		if (p.meta.hidden && hidden) || (!p.meta.hidden && visible) {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) rtPresenceLocked(sessionID string, stream rtStream) *rtPresence {
	return s.realtime.bySession[sessionID][stream]
}

// rtStreamChangedLocked keeps what depends on a stream's size up to date:
// the listing of relayed matches.
func (s *Server) rtStreamChangedLocked(stream rtStream) {
	if stream.mode == streamModeMatchRelayed {
		s.rtRelayedMatchChangedLocked(stream)
	}
}

// rtFlushLocked dispatches queued presence events, each as the server's
// tracker does: authoritative matches and parties hear of their joins and
// leaves first, then every session on each stream gets one event with the
// stream's joins and leaves, and status streams go to followers.
func (s *Server) rtFlushLocked() {
	for len(s.realtime.events) > 0 {
		evs := s.realtime.events
		s.realtime.events = nil
		for _, e := range evs {
			s.rtDispatchLocked(e)
		}
	}
}

func (s *Server) rtDispatchLocked(e rtEvent) {
	type batch struct {
		stream        rtStream
		joins, leaves []*rtapi.UserPresence
	}
	var order []*batch
	byStream := map[rtStream]*batch{}
	get := func(st rtStream) *batch {
		b := byStream[st]
		if b == nil {
			b = &batch{stream: st}
			byStream[st] = b
			order = append(order, b)
		}
		return b
	}
	wire := func(p *rtPresence) *rtapi.UserPresence {
		up := p.userPresence()
		if p.stream.mode == streamModeStatus {
			up.Status = wrapperspb.String(p.meta.status)
		}
		return up
	}
	var matchLeaves []*rtPresence
	var partyJoins, partyLeaves []*rtPresence
	for _, p := range e.joins {
		b := get(p.stream)
		b.joins = append(b.joins, wire(p))
		if p.stream.mode == streamModeParty {
			partyJoins = append(partyJoins, p)
		}
	}
	for _, p := range e.leaves {
		b := get(p.stream)
		b.leaves = append(b.leaves, wire(p))
		switch p.stream.mode {
		case streamModeMatchAuthoritative:
			matchLeaves = append(matchLeaves, p)
		case streamModeParty:
			partyLeaves = append(partyLeaves, p)
		}
	}
	// An authoritative match learns of joins from its own join attempts;
	// leaves come from here.
	for _, p := range matchLeaves {
		if m := s.realtime.matches[p.stream.subject]; m != nil && p.stream.label == matchNode {
			m.queueLeaveLocked([]MatchPresence{matchPresenceOf(p)})
		}
	}
	for _, p := range partyJoins {
		if pt := s.realtime.parties[p.stream.subject]; pt != nil && p.stream.label == matchNode {
			s.rtPartyJoinedLocked(pt, []*rtPresence{p})
		}
	}
	for _, p := range partyLeaves {
		if pt := s.realtime.parties[p.stream.subject]; pt != nil && p.stream.label == matchNode {
			s.rtPartyLeftLocked(pt, []*rtPresence{p})
		}
	}
	// Joins first (with the same stream's leaves), then streams with
	// leaves only, as the server sends them.
	slices.SortStableFunc(order, func(a, b *batch) int {
		switch {
		case len(a.joins) > 0 && len(b.joins) == 0:
			return -1
		case len(a.joins) == 0 && len(b.joins) > 0:
			return 1
		}
		return 0
	})
	for _, b := range order {
		if b.stream.mode == streamModeStatus {
			s.rtStatusEventLocked(b.stream.subject, b.joins, b.leaves)
			continue
		}
		ps := s.realtime.byStream[b.stream]
		if len(ps) == 0 {
			continue
		}
		var env *rtapi.Envelope
		switch b.stream.mode {
		case streamModeRoom, streamModeGroup, streamModeDM:
			ev := &rtapi.ChannelPresenceEvent{ChannelId: b.stream.id(), Joins: b.joins, Leaves: b.leaves}
			switch b.stream.mode {
			case streamModeRoom:
				ev.RoomName = b.stream.label
			case streamModeGroup:
				ev.GroupId = b.stream.subject
			default:
				ev.UserIdOne, ev.UserIdTwo = b.stream.subject, b.stream.subcontext
			}
			env = &rtapi.Envelope{Message: &rtapi.Envelope_ChannelPresenceEvent{ChannelPresenceEvent: ev}}
		case streamModeMatchRelayed, streamModeMatchAuthoritative:
			env = &rtapi.Envelope{Message: &rtapi.Envelope_MatchPresenceEvent{MatchPresenceEvent: &rtapi.MatchPresenceEvent{
				MatchId: b.stream.subject + "." + b.stream.label, Joins: b.joins, Leaves: b.leaves}}}
		case streamModeParty:
			env = &rtapi.Envelope{Message: &rtapi.Envelope_PartyPresenceEvent{PartyPresenceEvent: &rtapi.PartyPresenceEvent{
				PartyId: b.stream.subject + "." + b.stream.label, Joins: b.joins, Leaves: b.leaves}}}
		default:
			env = &rtapi.Envelope{Message: &rtapi.Envelope_StreamPresenceEvent{StreamPresenceEvent: &rtapi.StreamPresenceEvent{
				Stream: b.stream.wire(), Joins: b.joins, Leaves: b.leaves}}}
		}
		s.rtSendToStreamLocked(b.stream, env)
	}
}

// Helpers shared by the realtime files.

// splitNodeID splits a match or party id, "<uuid>.<node>", as the server
// does; ok is false unless there is a dot and a valid UUID before it.
func splitNodeID(id string) (uuid, node string, ok bool) {
	first, rest, found := strings.Cut(id, ".")
	if !found {
		return "", "", false
	}
	u, ok := parseUUID(first)
	if !ok {
		return "", "", false
	}
	return u, rest, true
}

// namespaceDNS is the RFC 4122 DNS namespace, from which the server
// derives the ids of named matches.
var namespaceDNS = [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuidV5 returns the name-based (SHA-1) UUID of name in namespace.
func uuidV5(namespace [16]byte, name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// errorMessage is the text a socket error envelope carries for err: an
// *Error's own message, as a runtime error's text is its message.
func errorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Direct API.

// SocketSession describes a connected socket for Sessions.
type SocketSession struct {
	// ID is the session id presences carry.
	ID string
	// UserID and Username are the session's user.
	UserID   string
	Username string
	// Format is "json" or "protobuf".
	Format string
	// Lang is the lang query parameter, "en" by default.
	Lang string
}

// Sessions returns the connected sockets, ordered by user id then session
// id.
func (s *Server) Sessions() []SocketSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SocketSession, 0, len(s.realtime.sessions))
	for _, sess := range s.realtime.sessions {
		f := "protobuf"
		if sess.json {
			f = "json"
		}
		out = append(out, SocketSession{ID: sess.id, UserID: sess.userID, Username: sess.username, Format: f, Lang: sess.lang})
	}
	slices.SortFunc(out, func(a, b SocketSession) int {
		if c := strings.Compare(a.UserID, b.UserID); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// DisconnectSession closes a socket as the runtime's SessionDisconnect
// does: a close frame with the reason "server-side session disconnect".
// It reports whether the session was connected, and returns once the
// session's presences are gone.
func (s *Server) DisconnectSession(sessionID string) bool {
	s.mu.Lock()
	sess := s.realtime.sessions[sessionID]
	if sess != nil {
		sess.initClose("server-side session disconnect", false, false)
	}
	s.mu.Unlock()
	if sess == nil {
		return false
	}
	<-sess.done
	return true
}

// notificationCodeUserBanned is the code of the notification the server
// sends a banned user's sockets as it closes them.
const notificationCodeUserBanned int32 = -8

// rtBanLocked closes every socket of a user being banned, as the server's
// ban does: each session on the user's notification stream is sent, as
// its last message, a notification "banned" (code -8, not stored) and
// then a close frame with the reason "server-side session disconnect".
// Like the server's session close, it releases what each session held at
// once (its presences leave as disconnects), without waiting for the
// session's reader, which may be the caller; the cleanup that ends the
// connection then finds nothing left. s.mu is held.
func (s *Server) rtBanLocked(userID string) {
	for _, p := range slices.Clone(s.realtime.byStream[userStream(streamModeNotifications, userID)]) {
		n := &api.Notification{Id: s.rand.uuid(), Subject: "banned", Content: "{}", Code: notificationCodeUserBanned,
			CreateTime: &timestamppb.Timestamp{Seconds: s.clock.now().Unix()}}
		p.sess.initClose("server-side session disconnect", false, false, &rtapi.Envelope{
			Message: &rtapi.Envelope_Notifications{Notifications: &rtapi.Notifications{Notifications: []*api.Notification{n}}}})
		s.rtCleanupLocked(p.sess)
	}
}

// DisconnectUser closes every socket of a user, as DisconnectSession
// does, and returns how many there were.
func (s *Server) DisconnectUser(userID string) int {
	uid, _ := parseUUID(userID)
	s.mu.Lock()
	var sessions []*rtSession
	for _, sess := range s.realtime.sessions {
		if sess.userID == uid {
			sess.initClose("server-side session disconnect", false, false)
			sessions = append(sessions, sess)
		}
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		<-sess.done
	}
	return len(sessions)
}
