package nakamatest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

func TestSocketRPC(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		var got nakamatest.RPCRequest
		e.srv.RegisterRPC("Echo", func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
			got = in
			return in.Payload, nil
		})
		e.srv.RegisterRPC("fail", func(context.Context, nakamatest.RPCRequest) (string, error) {
			return "", nakamatest.NewError(nakamatest.InvalidArgument, "no good")
		})
		e.srv.RegisterRPC("panic", func(context.Context, nakamatest.RPCRequest) (string, error) { panic("boom") })
		me := e.user("caller")
		c := e.connect(me, f, nil)
		res, err := c.RpcFunc(rtCtx(t), "ECHO", `{"a":1}`)
		if err != nil {
			t.Fatal(err)
		}
		if res.Id != "ECHO" || res.Payload != `{"a":1}` {
			t.Fatalf("rpc %v", res)
		}
		if got.ID != "echo" || got.UserID != me.UserID() || got.Username != "caller" || got.HTTPKey || got.Expiry == 0 {
			t.Fatalf("request %+v", got)
		}
		_, err = c.RpcFunc(rtCtx(t), "", "")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "RPC ID must be set")
		_, err = c.RpcFunc(rtCtx(t), "missing", "")
		socketErr(t, err, rtapi.Error_RUNTIME_FUNCTION_NOT_FOUND, "RPC function not found")
		if !errors.Is(err, nakama.ErrNotFound) {
			t.Errorf("not NotFound: %v", err)
		}
		_, err = c.RpcFunc(rtCtx(t), "fail", "")
		socketErr(t, err, rtapi.Error_RUNTIME_FUNCTION_EXCEPTION, "no good")
		_, err = c.RpcFunc(rtCtx(t), "panic", "")
		socketErr(t, err, rtapi.Error_RUNTIME_FUNCTION_EXCEPTION, "boom")
		// The socket survives all of it.
		if err := c.Ping(rtCtx(t)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSocketConcurrency has many goroutines share one socket: requests,
// chat and pings interleave, and every answer reaches its caller.
func TestSocketConcurrency(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		e.srv.RegisterRPC("echo", func(_ context.Context, in nakamatest.RPCRequest) (string, error) { return in.Payload, nil })
		c := e.connect(e.user("busy"), f, nil)
		ch, err := c.JoinChat(rtCtx(t), "busy", rtapi.ChannelJoin_ROOM, &nakama.JoinChatOptions{Persistence: nakama.Ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 24 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 5 {
					p := fmt.Sprintf("%d-%d", i, j)
					switch j % 3 {
					case 0:
						res, err := c.RpcFunc(rtCtx(t), "echo", p)
						if err == nil && res.Payload != p {
							err = fmt.Errorf("echo %q for %q", res.Payload, p)
						}
						if err != nil {
							errs <- err
						}
					case 1:
						if _, err := c.WriteChatMessage(rtCtx(t), ch.Id, `{"p":"`+p+`"}`); err != nil {
							errs <- err
						}
					default:
						if err := c.Ping(rtCtx(t)); err != nil {
							errs <- err
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestLiveNotifications(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		me := e.user("me")
		c1 := e.connect(me, f, nil)
		c2 := e.connect(me, nakama.SocketJSON, nil) // every socket of the user gets it
		if err := e.srv.SendNotification(nakamatest.Notification{UserID: me.UserID(), Subject: "hello", Content: `{"a":1}`,
			Code: 5}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*sock{c1, c2} {
			n := waitFor[*api.Notification](c, nil)
			if n.Subject != "hello" || n.Code != 5 || n.Persistent || n.Content != `{"a":1}` || n.Id == "" {
				t.Fatalf("notification %v", n)
			}
		}
	})
}

// TestSocketChurn drops every connection while many goroutines are busy on
// several sockets: every call ends (with an answer or a closed socket),
// and nothing is left behind.
func TestSocketChurn(t *testing.T) {
	e := newRTEnv(t)
	e.srv.RegisterRPC("echo", func(_ context.Context, in nakamatest.RPCRequest) (string, error) { return in.Payload, nil })
	var socks []*sock
	for i := range 4 {
		c := e.connect(e.user(fmt.Sprint("churn", i)), rtFormats[i%2], nil)
		if _, err := c.JoinChat(rtCtx(t), "churn", rtapi.ChannelJoin_ROOM, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateMatch(rtCtx(t), &nakama.CreateMatchOptions{Name: "churn"}); err != nil {
			t.Fatal(err)
		}
		socks = append(socks, c)
	}
	var wg sync.WaitGroup
	for _, c := range socks {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; ; j++ {
					var err error
					switch j % 3 {
					case 0:
						_, err = c.RpcFunc(rtCtx(t), "echo", "x")
					case 1:
						_, err = c.WriteChatMessage(rtCtx(t), "2...churn", `{}`)
					default:
						err = c.SendMatchData(rtCtx(t), "e04fb8c9-9b2b-5e63-a7cf-9a4cd1f3c3a9.", 1, nil, nil)
					}
					if err != nil {
						if !errors.Is(err, nakama.ErrSocketClosed) {
							t.Error(err)
						}
						return
					}
				}
			}()
		}
	}
	time.Sleep(100 * time.Millisecond)
	e.srv.CloseClientConnections()
	wg.Wait()
	if n := len(e.srv.Sessions()); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	if n := len(e.srv.Matches()); n != 0 {
		t.Fatalf("%d matches left", n)
	}
	if msgs := e.srv.ChannelMessages("2...churn"); len(msgs) == 0 {
		t.Fatal("no messages were stored")
	}
}
