//go:build !js

package nakama_test

// Benchmarks of the socket's hot paths through its public API only (a
// SocketAdapter double, or nakamatest over loopback), so they keep compiling
// while the WebSocket layer changes. Figures go in notes, never in
// assertions: go test -bench Socket -run x .

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

var perfFormats = []nakama.SocketFormat{nakama.SocketProtobuf, nakama.SocketJSON}

// perfSession is a session whose token no one checks: the adapter below is
// the server.
func perfSession(b *testing.B) *nakama.Session {
	enc := base64.RawURLEncoding
	tok := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString(fmt.Appendf(nil, `{"uid":"u","usn":"u","exp":%d}`, time.Now().Add(time.Hour).Unix())) + ".c2ln"
	s, err := nakama.RestoreSession(tok, "")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// perfAdapter is an in-memory SocketAdapter: it answers each request (a
// frame with a cid) with a pong carrying the cid, and delivers match data
// frames on demand, all from its own read goroutine.
type perfAdapter struct {
	format nakama.SocketFormat
	event  []byte
	in     chan perfInput
	done   chan struct{}
	once   sync.Once
}

// perfInput is one thing for the read goroutine to deliver: the answer to
// a request's cid, or n events, after which delivered is closed.
type perfInput struct {
	cid       string
	n         int
	delivered chan struct{}
}

func newPerfAdapter(f nakama.SocketFormat, dataSize int) *perfAdapter {
	return &perfAdapter{format: f, event: perfEncode(f, &rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
		MatchId: "4c2ae592-b2a7-445e-98ec-697694478b1c.nakama1", OpCode: 3, Data: make([]byte, dataSize), Reliable: true,
		Presence: &rtapi.UserPresence{UserId: "4c2ae592-b2a7-445e-98ec-697694478b1c",
			SessionId: "5c2ae592-b2a7-445e-98ec-697694478b1c", Username: "player"}}}})}
}

func perfEncode(f nakama.SocketFormat, env *rtapi.Envelope) []byte {
	var b []byte
	if f == nakama.SocketJSON {
		b, _ = protojson.MarshalOptions{UseProtoNames: true}.Marshal(env)
	} else {
		b, _ = proto.Marshal(env)
	}
	return b
}

func (a *perfAdapter) Connect(_ context.Context, _ *nakama.SocketConnectParams, h nakama.SocketAdapterHandler) error {
	a.in, a.done, a.once = make(chan perfInput, 1024), make(chan struct{}), sync.Once{}
	go func() {
		defer close(a.done)
		var reply []byte
		for in := range a.in {
			if in.cid != "" {
				reply = a.pong(reply[:0], in.cid)
				h.OnFrame(reply)
				continue
			}
			for range in.n {
				h.OnFrame(a.event)
			}
			close(in.delivered)
		}
		h.OnClose(nakama.ErrSocketClosed)
	}()
	return nil
}

// pong is the answer to cid, built by hand so the "server" costs little.
func (a *perfAdapter) pong(b []byte, cid string) []byte {
	if a.format == nakama.SocketJSON {
		return fmt.Appendf(b, `{"cid":%q,"pong":{}}`, cid)
	}
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, cid)
	b = protowire.AppendTag(b, 33, protowire.BytesType) // Envelope.pong
	return protowire.AppendBytes(b, nil)
}

// cid finds the cid of a request frame.
func (a *perfAdapter) cid(f []byte) string {
	if a.format == nakama.SocketJSON {
		_, rest, ok := bytes.Cut(f, []byte(`"cid":"`))
		if i := bytes.IndexByte(rest, '"'); ok && i >= 0 {
			return string(rest[:i])
		}
		return ""
	}
	if num, typ, n := protowire.ConsumeTag(f); n > 0 && num == 1 && typ == protowire.BytesType {
		if v, m := protowire.ConsumeString(f[n:]); m > 0 {
			return v
		}
	}
	return ""
}

func (a *perfAdapter) Send(_ context.Context, frames [][]byte) error {
	for _, f := range frames {
		if cid := a.cid(f); cid != "" {
			a.in <- perfInput{cid: cid}
		}
	}
	return nil
}

// deliver has the read goroutine deliver n events and returns once it did.
func (a *perfAdapter) deliver(n int) {
	in := perfInput{n: n, delivered: make(chan struct{})}
	a.in <- in
	<-in.delivered
}

func (a *perfAdapter) Close() error { return a.CloseNow() }
func (a *perfAdapter) CloseNow() error {
	a.once.Do(func() { close(a.in) })
	<-a.done
	return nil
}

func perfSocket(b *testing.B, opts *nakama.SocketOptions) *nakama.WebSocket {
	opts.Keepalive.Disable = true
	s, err := nakama.NewWebSocket("http://127.0.0.1:7350", opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Connect(context.Background(), perfSession(b), nil); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkSocketRequest is one request and its answer (Ping, Pong) with
// the network replaced by an in-memory adapter: the socket's own share of
// a round trip (encode, cid, write queue, writer, decode, hand-off to the
// waiting caller).
func BenchmarkSocketRequest(b *testing.B) {
	for _, f := range perfFormats {
		b.Run(f.String(), func(b *testing.B) {
			s := perfSocket(b, &nakama.SocketOptions{Format: f, Adapter: newPerfAdapter(f, 0)})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Ping(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSocketRequestLoopback is the same round trip through the
// default WebSocketAdapter and nakamatest over loopback TCP; the server's
// work, in this process, is included.
func BenchmarkSocketRequestLoopback(b *testing.B) {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := nakama.NewClient(srv.URL(), nakama.DefaultServerKey, nil)
	if err != nil {
		b.Fatal(err)
	}
	sess, err := c.AuthenticateDevice(context.Background(), "perf-device-0001", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range perfFormats {
		b.Run(f.String(), func(b *testing.B) {
			s, err := nakama.NewWebSocket(srv.URL(), &nakama.SocketOptions{Format: f, Keepalive: nakama.KeepaliveConfig{Disable: true}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if err := s.Connect(ctx, sess, nil); err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Ping(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// perfEventBatch is how many events the adapter delivers at once: a burst
// a game loop's frame would see.
const perfEventBatch = 64

// BenchmarkSocketEvents is the delivery of one match data event (64 bytes
// and 1 KiB of data) from the adapter's read goroutine to its handler:
// decode, queue and dispatch, run by Tick on the benchmark's goroutine or
// by AutoDispatch. Events come in bursts of perfEventBatch.
func BenchmarkSocketEvents(b *testing.B) {
	for _, f := range perfFormats {
		for _, size := range []int{64, 1024} {
			for _, auto := range []bool{false, true} {
				mode := "tick"
				if auto {
					mode = "autodispatch"
				}
				b.Run(fmt.Sprintf("%s/%dB/%s", f, size, mode), func(b *testing.B) {
					a := newPerfAdapter(f, size)
					s := perfSocket(b, &nakama.SocketOptions{Format: f, Adapter: a, AutoDispatch: auto,
						EventQueueSize: 2 * perfEventBatch})
					var got atomic.Int64
					want := make(chan struct{}, 1)
					var target atomic.Int64
					s.OnMatchData(func(*rtapi.MatchData) {
						if got.Add(1) == target.Load() {
							want <- struct{}{}
						}
					})
					s.Tick() // the connect event
					b.ReportAllocs()
					for done := 0; done < b.N; done += perfEventBatch {
						n := min(perfEventBatch, b.N-done)
						target.Store(got.Load() + int64(n))
						a.deliver(n)
						if auto {
							<-want
							continue
						}
						if ran := s.Tick(); ran != n {
							b.Fatalf("Tick ran %d handlers, want %d", ran, n)
						}
						<-want
					}
				})
			}
		}
	}
}

// Decoding a pong's cid must round-trip through the adapter's own helpers,
// or the request benchmark would measure timeouts.
func TestPerfAdapterCid(t *testing.T) {
	for _, f := range perfFormats {
		a := &perfAdapter{format: f}
		req := perfEncode(f, &rtapi.Envelope{Cid: "42", Message: &rtapi.Envelope_Ping{Ping: &rtapi.Ping{}}})
		if got := a.cid(req); got != "42" {
			t.Fatalf("%s: cid %q, want 42", f, got)
		}
		var env rtapi.Envelope
		var err error
		if f == nakama.SocketJSON {
			err = protojson.Unmarshal(a.pong(nil, "42"), &env)
		} else {
			err = proto.Unmarshal(a.pong(nil, "42"), &env)
		}
		if err != nil || env.Cid != "42" || env.GetPong() == nil {
			t.Fatalf("%s: pong decodes to %v, %v", f, &env, err)
		}
	}
}
