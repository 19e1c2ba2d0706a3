//go:build !js

package nakama_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// A socket made by the client refreshes the session before it connects;
// with Reconnect set, it redials after a lost connection and joins again
// what it had joined.
func ExampleDefaultClient_NewSocket() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	client, _ := nakama.NewClient(srv.URL(), "defaultkey", nil)
	session, err := client.AuthenticateDevice(ctx, "example-device-0003", nil)
	if err != nil {
		log.Fatal(err)
	}
	socket, err := client.NewSocket(&nakama.SocketOptions{
		AutoDispatch: true,
		Reconnect:    &nakama.ReconnectConfig{},
	})
	if err != nil {
		log.Fatal(err)
	}
	reports := make(chan *nakama.ReconnectReport, 1)
	socket.OnReconnected(func(r *nakama.ReconnectReport) { reports <- r })
	if err := socket.Connect(ctx, session, nil); err != nil {
		log.Fatal(err)
	}
	defer socket.Close()
	if _, err := socket.JoinChat(ctx, "lobby", rtapi.ChannelJoin_ROOM, nil); err != nil {
		log.Fatal(err)
	}

	srv.CloseClientConnections() // the link drops
	r := <-reports
	fmt.Println("reconnected:", r.Err == nil)
	for _, it := range r.Restored {
		fmt.Println("restored", it.Kind, it.ID)
	}
	// Output:
	// reconnected: true
	// restored chat 2...lobby
}

// Close from a handler cannot wait for the dispatcher the handler runs on;
// Done tells when the socket is fully down.
func ExampleWebSocket_Done() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	client, _ := nakama.NewClient(srv.URL(), "defaultkey", nil)
	session, err := client.AuthenticateDevice(ctx, "example-device-0004", nil)
	if err != nil {
		log.Fatal(err)
	}
	socket, _ := client.NewSocket(&nakama.SocketOptions{AutoDispatch: true})
	socket.OnConnect(func() { socket.Close() })
	socket.OnDisconnect(func(err error) { fmt.Println("disconnected:", nakama.CloseStatus(err)) })
	if err := socket.Connect(ctx, session, nil); err != nil {
		log.Fatal(err)
	}
	<-socket.Done()
	fmt.Println("down")
	// Output:
	// disconnected: 1000
	// down
}
