package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// relayCounter counts the messages the receiver got and wakes a sender
// waiting for a count: one wake-up per refill of the window, not per
// message, so that the harness costs every contender the same little.
type relayCounter struct {
	recv    atomic.Int64
	waitFor atomic.Int64
	wake    chan struct{}
	// lost is closed, err set, when the receiver's connection ended.
	lost     chan struct{}
	lostOnce sync.Once
	err      error
}

func newRelayCounter() *relayCounter {
	return &relayCounter{wake: make(chan struct{}, 1), lost: make(chan struct{})}
}

// fail records the end of the receiver's connection.
func (c *relayCounter) fail(err error) {
	c.lostOnce.Do(func() {
		c.err = fmt.Errorf("the receiving socket disconnected: %w", err)
		close(c.lost)
	})
}

// failed returns the receiver's disconnect, if it happened.
func (c *relayCounter) failed() error {
	select {
	case <-c.lost:
		return c.err
	default:
		return nil
	}
}

// got counts one message; the receiver calls it.
func (c *relayCounter) got() {
	if c.recv.Add(1) == c.waitFor.Load() {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// await returns once recv reaches n.
func (c *relayCounter) await(ctx context.Context, n int64) error {
	c.waitFor.Store(n)
	for c.recv.Load() < n {
		select {
		case <-c.wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.lost:
			return c.err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("relay stalled: %d of %d messages received", c.recv.Load(), n)
		}
	}
	return nil
}

// drive sends n messages with at most window in flight, refilling the
// window once half of it has arrived, and waits for the last.
func (c *relayCounter) drive(ctx context.Context, n, window int, send func() error) error {
	base := c.recv.Load()
	for sent := 0; sent < n; {
		for sent < n && int64(sent)-(c.recv.Load()-base) < int64(window) {
			if err := send(); err != nil {
				return err
			}
			sent++
		}
		if sent < n {
			if err := c.await(ctx, base+int64(sent-window/2)); err != nil {
				return err
			}
		}
	}
	return c.await(ctx, base+int64(n))
}

// oursContender is this module's WebSocket, handlers run by Tick on the
// sending goroutine (a game loop) or by AutoDispatch.
type oursContender struct {
	cfg     *relayConfig
	auto    bool
	a, b    *nakama.WebSocket
	matchID string
	count   *relayCounter
	data    []byte
}

func (c *oursContender) name() string {
	if c.auto {
		return "gonakama AutoDispatch"
	}
	return "gonakama Tick"
}

func (c *oursContender) socket() (*nakama.WebSocket, error) {
	f := nakama.SocketProtobuf
	if c.cfg.json {
		f = nakama.SocketJSON
	}
	return nakama.NewWebSocket(c.cfg.url, &nakama.SocketOptions{Format: f, AutoDispatch: c.auto})
}

func (c *oursContender) open(ctx context.Context, sa, sb *nakama.Session) error {
	c.count, c.data = newRelayCounter(), make([]byte, relayDataSize)
	var err error
	if c.a, err = c.socket(); err != nil {
		return err
	}
	if c.b, err = c.socket(); err != nil {
		return err
	}
	c.b.OnMatchData(func(*rtapi.MatchData) { c.count.got() })
	c.b.OnDisconnect(c.count.fail)
	if err := c.a.Connect(ctx, sa, nil); err != nil {
		return err
	}
	if err := c.b.Connect(ctx, sb, nil); err != nil {
		return err
	}
	m, err := c.a.CreateMatch(ctx, nil)
	if err != nil {
		return err
	}
	c.matchID = m.MatchId
	_, err = c.b.JoinMatch(ctx, c.matchID, nil)
	return err
}

func (c *oursContender) send(ctx context.Context) error {
	return c.a.SendMatchData(ctx, c.matchID, 1, c.data, nil)
}

func (c *oursContender) relay(ctx context.Context, n, window int) error {
	if c.auto {
		return c.count.drive(ctx, n, window, func() error { return c.send(ctx) })
	}
	// The game loop: fill the window, run the handlers, and sleep a frame
	// when there was nothing to run.
	base := c.count.recv.Load()
	deadline := time.Now().Add(30 * time.Second)
	for sent := 0; c.count.recv.Load()-base < int64(n); {
		for sent < n && int64(sent)-(c.count.recv.Load()-base) < int64(window) {
			if err := c.send(ctx); err != nil {
				return err
			}
			sent++
		}
		if c.a.Tick()+c.b.Tick() == 0 {
			if err := c.count.failed(); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("relay stalled: %d of %d messages received", c.count.recv.Load()-base, n)
			}
			time.Sleep(c.cfg.frame)
		}
	}
	return nil
}

func (c *oursContender) idle(ctx context.Context, sess *nakama.Session, n int) (func(), error) {
	socks := make([]*nakama.WebSocket, 0, n)
	closeAll := func() {
		for _, s := range socks {
			_ = s.Close()
		}
	}
	for range n {
		s, err := c.socket()
		if err == nil {
			err = s.Connect(ctx, sess, nil)
		}
		if err != nil {
			closeAll()
			return nil, err
		}
		socks = append(socks, s)
	}
	return closeAll, nil
}

func (c *oursContender) close() {
	for _, s := range []*nakama.WebSocket{c.a, c.b} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// idleAdapters connects n bare WebSocketAdapters, with a handler that
// drops everything: the adapter's share of an idle socket.
func idleAdapters(ctx context.Context, serverURL string, sess *nakama.Session, n int) (func(), error) {
	s, err := nakama.NewWebSocket(serverURL, nil)
	if err != nil {
		return nil, err
	}
	p := &nakama.SocketConnectParams{Endpoint: s.Endpoint(), Token: sess.Token()}
	adapters := make([]*nakama.WebSocketAdapter, 0, n)
	closeAll := func() {
		for _, a := range adapters {
			_ = a.Close()
		}
	}
	for range n {
		a := nakama.NewWebSocketAdapter(nil)
		if err := a.Connect(ctx, p, idleHandler{}); err != nil {
			closeAll()
			return nil, err
		}
		adapters = append(adapters, a)
	}
	return closeAll, nil
}

type idleHandler struct{}

func (idleHandler) OnFrame([]byte) {}
func (idleHandler) OnError(error)  {}
func (idleHandler) OnClose(error)  {}

// naiveContender is the client one would write in an afternoon:
// coder/websocket, one proto.Marshal (or protojson.Marshal) and one frame
// write per send, one reader goroutine per connection that unmarshals every
// frame.
type naiveContender struct {
	cfg     *relayConfig
	a, b    *naiveConn
	matchID string
	count   *relayCounter
	data    []byte
}

type naiveConn struct {
	c    *websocket.Conn
	json bool
	done chan struct{}
}

func (c *naiveContender) name() string {
	if c.cfg.json {
		return "naive Go (protojson)"
	}
	return "naive Go (proto)"
}

func (c *naiveContender) dial(ctx context.Context, sess *nakama.Session) (*naiveConn, error) {
	u := strings.Replace(strings.TrimSuffix(c.cfg.url, "/"), "http", "ws", 1) + "/ws?" + url.Values{
		"token": {sess.Token()}, "format": {map[bool]string{false: "protobuf", true: "json"}[c.cfg.json]},
	}.Encode()
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil { // the error holds the URL, and so the token
		return nil, errors.New(strings.ReplaceAll(err.Error(), url.QueryEscape(sess.Token()), "REDACTED"))
	}
	conn.SetReadLimit(4 << 20)
	return &naiveConn{c: conn, json: c.cfg.json, done: make(chan struct{})}, nil
}

func (n *naiveConn) write(ctx context.Context, env *rtapi.Envelope) error {
	var b []byte
	var err error
	typ := websocket.MessageBinary
	if n.json {
		b, err = protojson.Marshal(env)
		typ = websocket.MessageText
	} else {
		b, err = proto.Marshal(env)
	}
	if err != nil {
		return err
	}
	return n.c.Write(ctx, typ, b)
}

func (n *naiveConn) read(ctx context.Context) (*rtapi.Envelope, error) {
	_, b, err := n.c.Read(ctx)
	if err != nil {
		return nil, err
	}
	env := &rtapi.Envelope{}
	if n.json {
		err = protojson.Unmarshal(b, env)
	} else {
		err = proto.Unmarshal(b, env)
	}
	return env, err
}

// call writes env with a cid and reads until its answer; it runs before
// the reader goroutine starts.
func (n *naiveConn) call(ctx context.Context, env *rtapi.Envelope) (*rtapi.Envelope, error) {
	env.Cid = "1"
	if err := n.write(ctx, env); err != nil {
		return nil, err
	}
	for {
		resp, err := n.read(ctx)
		if err != nil {
			return nil, err
		}
		if resp.Cid == "1" {
			if e := resp.GetError(); e != nil {
				return nil, fmt.Errorf("server error %d: %s", e.Code, e.Message)
			}
			return resp, nil
		}
	}
}

// readLoop reads until the connection ends, counting match data.
func (n *naiveConn) readLoop(count *relayCounter) {
	defer close(n.done)
	for {
		env, err := n.read(context.Background())
		if err != nil {
			if count != nil {
				count.fail(err)
			}
			return
		}
		if count != nil && env.GetMatchData() != nil {
			count.got()
		}
	}
}

func (n *naiveConn) close() {
	_ = n.c.Close(websocket.StatusNormalClosure, "")
	<-n.done
}

func (c *naiveContender) open(ctx context.Context, sa, sb *nakama.Session) error {
	c.count, c.data = newRelayCounter(), make([]byte, relayDataSize)
	a, err := c.dial(ctx, sa)
	if err != nil {
		return err
	}
	b, err := c.dial(ctx, sb)
	if err != nil {
		_ = a.c.CloseNow()
		return err
	}
	resp, err := a.call(ctx, &rtapi.Envelope{Message: &rtapi.Envelope_MatchCreate{MatchCreate: &rtapi.MatchCreate{}}})
	if err == nil {
		c.matchID = resp.GetMatch().GetMatchId()
		_, err = b.call(ctx, &rtapi.Envelope{Message: &rtapi.Envelope_MatchJoin{MatchJoin: &rtapi.MatchJoin{
			Id: &rtapi.MatchJoin_MatchId{MatchId: c.matchID}}}})
	}
	// The readers start even after a failure, so that close has them to
	// wait for.
	c.a, c.b = a, b
	go a.readLoop(nil)
	go b.readLoop(c.count)
	return err
}

func (c *naiveContender) relay(ctx context.Context, n, window int) error {
	return c.count.drive(ctx, n, window, func() error {
		return c.a.write(ctx, &rtapi.Envelope{Message: &rtapi.Envelope_MatchDataSend{MatchDataSend: &rtapi.MatchDataSend{
			MatchId: c.matchID, OpCode: 1, Data: c.data, Reliable: true}}})
	})
}

func (c *naiveContender) idle(ctx context.Context, sess *nakama.Session, n int) (func(), error) {
	conns := make([]*naiveConn, 0, n)
	closeAll := func() {
		var wg sync.WaitGroup
		for _, nc := range conns {
			wg.Go(nc.close)
		}
		wg.Wait()
	}
	for range n {
		nc, err := c.dial(ctx, sess)
		if err != nil {
			closeAll()
			return nil, err
		}
		go nc.readLoop(nil)
		conns = append(conns, nc)
	}
	return closeAll, nil
}

func (c *naiveContender) close() {
	for _, n := range []*naiveConn{c.a, c.b} {
		if n != nil {
			n.close()
		}
	}
}
