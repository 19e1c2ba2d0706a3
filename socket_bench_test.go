//go:build !js

// Not under js/wasm: the socket tests run a WebSocket server in the test
// process, which the browser adapter (the host's WebSocket) cannot reach.

package nakama

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/heroiclabs/nakama-common/rtapi"
)

// BenchmarkSocketMatchDataRoundTrip sends one match data message and waits
// for the fake server to relay it back as an event, per op: encode, write,
// the server's decode and re-encode, read, decode, queue and dispatch. The
// fake server's own work (coder/websocket on both ends, protojson in JSON
// mode) is included.
func BenchmarkSocketMatchDataRoundTrip(b *testing.B) {
	for _, format := range []SocketFormat{SocketProtobuf, SocketJSON} {
		b.Run(format.String(), func(b *testing.B) {
			f := newSockFakeServer(b, nil)
			s, _ := sockConnect(b, f, &SocketOptions{Format: format, AutoDispatch: true,
				Keepalive: KeepaliveConfig{Disable: true}})
			got := make(chan *rtapi.MatchData, 1)
			s.OnMatchData(func(md *rtapi.MatchData) { got <- md })
			data := make([]byte, 64)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.SendMatchData(ctx, "4c2ae592-b2a7-445e-98ec-697694478b1c.nakama1", 3, data, nil); err != nil {
					b.Fatal(err)
				}
				<-got
			}
		})
	}
}

// BenchmarkSocketRPCRoundTrip measures a request and its answer.
func BenchmarkSocketRPCRoundTrip(b *testing.B) {
	for _, format := range []SocketFormat{SocketProtobuf, SocketJSON} {
		b.Run(format.String(), func(b *testing.B) {
			f := newSockFakeServer(b, nil)
			s, _ := sockConnect(b, f, &SocketOptions{Format: format, Keepalive: KeepaliveConfig{Disable: true}})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.RpcFunc(ctx, "echo", `{"n":1}`); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSocketBaselineEcho is the floor the round trips above stand on:
// coder/websocket on both ends echoing a 100-byte binary message over the
// same loopback, with no envelope, codec, queue or dispatch.
func BenchmarkSocketBaselineEcho(b *testing.B) {
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, p, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if err := c.Write(context.Background(), typ, p); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	defer wg.Wait()
	c, _, err := websocket.Dial(context.Background(), srv.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	msg := make([]byte, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Write(context.Background(), websocket.MessageBinary, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.Read(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// sockLoopAdapter is an in-memory SocketAdapter: every frame sent is
// answered by reply, delivered on the adapter's own read goroutine. It
// measures the socket's own cost, without a network or a server.
type sockLoopAdapter struct {
	reply []byte
	ch    chan struct{}
	done  chan struct{}
	h     SocketAdapterHandler
	once  sync.Once
}

func (a *sockLoopAdapter) Connect(_ context.Context, _ *SocketConnectParams, h SocketAdapterHandler) error {
	a.h, a.ch, a.done, a.once = h, make(chan struct{}, 1024), make(chan struct{}), sync.Once{}
	go func() {
		defer close(a.done)
		for range a.ch {
			a.h.OnFrame(a.reply)
		}
		a.h.OnClose(ErrSocketClosed)
	}()
	return nil
}

func (a *sockLoopAdapter) Send(_ context.Context, frames [][]byte) error {
	for range frames {
		a.ch <- struct{}{}
	}
	return nil
}

func (a *sockLoopAdapter) Close() error    { return a.CloseNow() }
func (a *sockLoopAdapter) CloseNow() error { a.once.Do(func() { close(a.ch) }); <-a.done; return nil }

// BenchmarkSocketMatchDataLoop is the socket's own share of a match data
// round trip: encode, write queue and writer, decode, event queue and
// dispatch, with the network replaced by an in-memory adapter.
func BenchmarkSocketMatchDataLoop(b *testing.B) {
	for _, format := range []SocketFormat{SocketProtobuf, SocketJSON} {
		for _, auto := range []bool{false, true} {
			name := format.String() + "/tick"
			if auto {
				name = format.String() + "/autodispatch"
			}
			b.Run(name, func(b *testing.B) {
				reply, _ := format.wire().Append(nil, &rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
					MatchId: "4c2ae592-b2a7-445e-98ec-697694478b1c.nakama1", OpCode: 3, Data: make([]byte, 64), Reliable: true,
					Presence: &rtapi.UserPresence{UserId: "4c2ae592-b2a7-445e-98ec-697694478b1c", SessionId: "5c2ae592-b2a7-445e-98ec-697694478b1c", Username: "player"}}}})
				s, err := NewWebSocket("http://127.0.0.1:7350", &SocketOptions{Format: format, AutoDispatch: auto,
					Adapter: &sockLoopAdapter{reply: reply}, Keepalive: KeepaliveConfig{Disable: true}})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Connect(context.Background(), sockSession(b), nil); err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				got := make(chan struct{}, 1)
				n := 0
				s.OnMatchData(func(*rtapi.MatchData) {
					if auto {
						got <- struct{}{}
					} else {
						n++
					}
				})
				s.Tick()
				data := make([]byte, 64)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := s.SendMatchData(ctx, "4c2ae592-b2a7-445e-98ec-697694478b1c.nakama1", 3, data, nil); err != nil {
						b.Fatal(err)
					}
					if auto {
						<-got
						continue
					}
					for n <= i {
						if s.Tick() == 0 {
							runtime.Gosched() // a game loop would do a frame's work here
						}
					}
				}
			})
		}
	}
}

// BenchmarkSocketIdle connects 1,000 sockets to the server
// NAKAMA_URL names (a server in another process, so that only the client's
// memory counts) and reports the goroutines and the heap and stack bytes
// each idle connected socket costs.
func BenchmarkSocketIdle(b *testing.B) {
	u := os.Getenv("NAKAMA_URL")
	if u == "" {
		b.Skip("NAKAMA_URL is not set: the idle cost is measured against a server in another process")
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	cl, err := NewClient(u, os.Getenv("NAKAMA_SERVER_KEY"), &ClientOptions{REST: RESTOptions{HTTPClient: hc}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sess, err := cl.AuthenticateDevice(ctx, "sock-idle-bench-device", nil)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	for b.Loop() {
		measure := func() (int, uint64) {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return runtime.NumGoroutine(), m.HeapInuse + m.StackInuse
		}
		g0, m0 := measure()
		socks := make([]*WebSocket, n)
		for i := range socks {
			s, err := NewWebSocket(u, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Connect(ctx, sess, nil); err != nil {
				b.Fatal(err)
			}
			if err := s.Ping(ctx); err != nil {
				b.Fatal(err)
			}
			socks[i] = s
		}
		g1, m1 := measure()
		b.ReportMetric(float64(g1-g0)/n, "goroutines/socket")
		b.ReportMetric(float64(int64(m1)-int64(m0))/n/1024, "KiB/socket")
		for _, s := range socks {
			s.Close()
		}
	}
}
