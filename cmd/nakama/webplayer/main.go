//go:build js && wasm

// Command webplayer is the browser player of "nakama web": built for
// GOOS=js GOARCH=wasm, it runs in the demo's page, where it authenticates,
// joins the chat room, talks with the bot, meets it through the matchmaker
// and exchanges match data, showing each step on the page.
//
// It follows the browser's rule: nothing blocks in a JavaScript callback.
// The socket's handlers run in nakama.FrameLoop's goroutine, so they make
// requests freely; the page's buttons start a goroutine for anything that
// waits, except Close, which returns at once in a browser.
package main

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// exchanges is how many match data round trips the player makes with the
// bot.
const exchanges = 3

func main() {
	p := page{doc: js.Global().Get("document")}
	if err := play(context.Background(), p); err != nil {
		p.step("error", err.Error())
	}
	select {} // the handlers and buttons go on
}

// page shows what happens: each step fills in the element of the same id.
type page struct{ doc js.Value }

func (p page) step(id, text string) {
	el := p.doc.Call("getElementById", id)
	if el.IsNull() {
		return
	}
	el.Set("textContent", text)
	el.Get("classList").Call("add", "done")
}

// log adds a line to the conversation.
func (p page) log(text string) {
	li := p.doc.Call("createElement", "li")
	li.Set("textContent", text)
	p.doc.Call("getElementById", "log").Call("append", li)
}

// onClick calls f from the element's click events. f runs inside the
// browser's callback, so it must not wait.
func (p page) onClick(id string, f func()) {
	p.doc.Call("getElementById", id).Call("addEventListener", "click",
		js.FuncOf(func(js.Value, []js.Value) any { f(); return nil }))
}

func (p page) value(id string) string { return p.doc.Call("getElementById", id).Get("value").String() }

// chatText is the text of a chat message's JSON content.
func chatText(content string) string {
	v := js.Global().Get("JSON").Call("parse", content).Get("text")
	if v.Type() != js.TypeString {
		return content
	}
	return v.String()
}

func chatContent(text string) string {
	return js.Global().Get("JSON").Call("stringify", map[string]any{"text": text}).String()
}

func play(ctx context.Context, p page) error {
	loc := js.Global().Get("location")
	origin := loc.Get("origin").String()
	format := nakama.SocketProtobuf
	if strings.Contains(loc.Get("search").String(), "format=json") {
		format = nakama.SocketJSON
	}

	client, err := nakama.NewClient(origin, nakama.DefaultServerKey, nil)
	if err != nil {
		return err
	}
	device := "web-" + js.Global().Get("crypto").Call("randomUUID").String()
	session, err := client.AuthenticateDevice(ctx, device, nil)
	if err != nil {
		return fmt.Errorf("authenticating: %w", err)
	}
	p.step("auth", "authenticated as "+session.Username())

	socket, err := nakama.NewWebSocket(origin, &nakama.SocketOptions{Format: format})
	if err != nil {
		return err
	}
	loop, stopLoop := context.WithCancel(ctx)
	var channelID, matchID string
	heardBot, sent := false, 0

	// The handlers run on FrameLoop's goroutine, in arrival order, so the
	// variables above need no lock, and requests may wait for answers.
	socket.OnChannelMessage(func(m *api.ChannelMessage) {
		if m.GetSenderId() == session.UserID() {
			return
		}
		text := chatText(m.GetContent())
		p.log(m.GetUsername() + ": " + text)
		if heardBot {
			return
		}
		heardBot = true
		p.step("bot-chat", "the bot said: "+text)
		// A request from a handler: REST, through the browser's fetch.
		users, err := client.GetUsers(ctx, session, []string{m.GetSenderId()}, nil, nil)
		if err != nil || len(users.GetUsers()) != 1 {
			p.step("lookup", fmt.Sprintf("looking the bot up failed: %v", err))
			return
		}
		p.step("lookup", "a handler looked the bot up over REST: "+users.GetUsers()[0].GetUsername())
		t, err := socket.AddMatchmaker(ctx, "*", 2, 2, nil)
		if err != nil {
			p.step("matchmaker", "matchmaking failed: "+err.Error())
			return
		}
		ticket := t.GetTicket()
		if len(ticket) > 8 {
			ticket = ticket[:8]
		}
		p.step("matchmaker", "looking for an opponent, ticket "+ticket)
	})
	startPings := func() {
		if sent == 0 {
			sent = 1
			_ = socket.SendMatchData(ctx, matchID, 1, []byte("ping 1"), nil)
		}
	}
	socket.OnMatchmakerMatched(func(m *rtapi.MatchmakerMatched) {
		match, err := socket.JoinMatchToken(ctx, m.GetToken(), nil)
		if err != nil {
			p.step("match", "joining the match failed: "+err.Error())
			return
		}
		matchID = match.GetMatchId()
		p.step("match", fmt.Sprintf("matched with %d players; joined the match", len(m.GetUsers())))
		// A relayed match forwards data only to those already in it: ping
		// once the bot is there, now or when its join arrives.
		for _, pr := range match.GetPresences() {
			if pr.GetUserId() != match.GetSelf().GetUserId() {
				startPings()
			}
		}
	})
	socket.OnMatchPresence(func(e *rtapi.MatchPresenceEvent) {
		if e.GetMatchId() == matchID && len(e.GetJoins()) > 0 {
			startPings()
		}
	})
	socket.OnMatchData(func(d *rtapi.MatchData) {
		p.log(fmt.Sprintf("match data from %s: %s", d.GetPresence().GetUsername(), d.GetData()))
		if sent < exchanges {
			sent++
			_ = socket.SendMatchData(ctx, matchID, 1, []byte(fmt.Sprintf("ping %d", sent)), nil)
			return
		}
		p.step("data", fmt.Sprintf("%d match data exchanges with the bot; last answer %q", exchanges, d.GetData()))
	})
	socket.OnDisconnect(func(err error) {
		p.step("closed", "socket closed: "+err.Error())
		stopLoop()
	})

	if err := socket.Connect(ctx, session, &nakama.ConnectOptions{AppearOnline: true}); err != nil {
		return fmt.Errorf("connecting the socket: %w", err)
	}
	p.step("socket", "socket connected ("+format.String()+")")
	nakama.FrameLoop(loop, socket, nil)

	ch, err := socket.JoinChat(ctx, "lobby", rtapi.ChannelJoin_ROOM, nil)
	if err != nil {
		return fmt.Errorf("joining the chat room: %w", err)
	}
	channelID = ch.GetId()
	p.step("chat", "joined chat room lobby")
	if _, err := socket.WriteChatMessage(ctx, channelID, chatContent("hello bot")); err != nil {
		return err
	}
	p.log("you: hello bot")

	// Button callbacks run inside the browser's event: Send waits for the
	// server's acknowledgement, so it runs on a goroutine; Close returns at
	// once in a browser and may be called right there.
	p.onClick("send", func() {
		text := p.value("message")
		go func() {
			if _, err := socket.WriteChatMessage(ctx, channelID, chatContent(text)); err != nil {
				p.log("sending failed: " + err.Error())
				return
			}
			p.log("you: " + text)
		}()
	})
	p.onClick("close", func() { _ = socket.Close() })
	return nil
}
