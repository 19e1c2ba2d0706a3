//go:build !js

package nakama_test

import (
	"context"
	"fmt"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// FrameLoop ticks the socket on a goroutine of its own, so a handler may
// make a request and wait for its answer; in a browser a frame is an
// animation frame.
func ExampleFrameLoop() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()
	client, _ := nakama.NewClient(srv.URL(), "", nil)
	session, err := client.AuthenticateDevice(ctx, "frame-loop-device", &nakama.AuthenticateOptions{Username: "ada"})
	if err != nil {
		panic(err)
	}
	socket, _ := nakama.NewWebSocket(srv.URL(), nil)
	heard := make(chan string, 1)
	socket.OnChannelMessage(func(m *api.ChannelMessage) {
		users, err := client.GetUsers(ctx, session, []string{m.GetSenderId()}, nil, nil)
		if err == nil && len(users.GetUsers()) == 1 {
			heard <- users.GetUsers()[0].GetUsername() + " said " + m.GetContent()
		}
	})
	if err := socket.Connect(ctx, session, nil); err != nil {
		panic(err)
	}
	defer socket.Close()
	loop, stop := context.WithCancel(ctx)
	done := nakama.FrameLoop(loop, socket, nil)
	defer func() { stop(); <-done }()

	ch, err := socket.JoinChat(ctx, "lobby", rtapi.ChannelJoin_ROOM, nil)
	if err != nil {
		panic(err)
	}
	if _, err := socket.WriteChatMessage(ctx, ch.GetId(), `{"text":"hi"}`); err != nil {
		panic(err)
	}
	fmt.Println(<-heard)
	// Output: ada said {"text":"hi"}
}
