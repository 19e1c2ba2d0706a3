package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// player is one side of the realtime part: a socket and what arrived on it.
// Handlers run on the demo's goroutine, inside Tick, as in a game loop, so
// the fields they set need no lock.
type player struct {
	name    string
	socket  *nakama.WebSocket
	chat    []*api.ChannelMessage
	matched *rtapi.MatchmakerMatched
	data    []*rtapi.MatchData
}

// matchmakerWait bounds the wait for a match: a real server runs its
// matchmaker every 15 seconds by default, nakamatest at once.
const matchmakerWait = 45 * time.Second

// playRealtime has the two players chat in a room, meet through the
// matchmaker and exchange match data, ticking both sockets like a game loop.
func playRealtime(ctx context.Context, serverURL string, p *printer, run string, sessions map[string]*nakama.Session) error {
	players := []*player{{name: "alice"}, {name: "bob"}}
	for _, pl := range players {
		s, err := nakama.NewWebSocket(serverURL, nil)
		if err != nil {
			return err
		}
		pl.socket = s
		s.OnChannelMessage(func(m *api.ChannelMessage) { pl.chat = append(pl.chat, m) })
		s.OnMatchmakerMatched(func(m *rtapi.MatchmakerMatched) { pl.matched = m })
		s.OnMatchData(func(d *rtapi.MatchData) { pl.data = append(pl.data, d) })
		if err := s.Connect(ctx, sessions[pl.name], &nakama.ConnectOptions{AppearOnline: true}); err != nil {
			return fmt.Errorf("%s: connecting the socket: %w", pl.name, err)
		}
		defer s.Close()
		p.say(pl.name, "opened a realtime socket")
	}
	alice, bob := players[0], players[1]

	// Chat.
	room := "demo-lobby-" + run
	var channelID string
	for _, pl := range players {
		ch, err := pl.socket.JoinChat(ctx, room, rtapi.ChannelJoin_ROOM, nil)
		if err != nil {
			return fmt.Errorf("%s: joining %s: %w", pl.name, room, err)
		}
		channelID = ch.GetId()
		p.say(pl.name, "joined chat room %q", room)
	}
	if _, err := alice.socket.WriteChatMessage(ctx, channelID, `{"text":"hi bob, fancy a duel?"}`); err != nil {
		return err
	}
	if err := tickUntil(ctx, players, 10*time.Second, func() bool { return len(bob.chat) > 0 }); err != nil {
		return fmt.Errorf("bob never heard alice: %w", err)
	}
	p.say("bob", "heard %s say %s", bob.chat[0].GetUsername(), bob.chat[0].GetContent())

	// The matchmaker.
	mode := "duel-" + run
	for _, pl := range players {
		t, err := pl.socket.AddMatchmaker(ctx, "+properties.mode:"+mode, 2, 2,
			&nakama.MatchmakerOptions{StringProperties: map[string]string{"mode": mode}})
		if err != nil {
			return err
		}
		p.say(pl.name, "asked the matchmaker for a %s opponent (ticket %.8s...)", "duel", t.GetTicket())
	}
	if err := tickUntil(ctx, players, matchmakerWait, func() bool { return alice.matched != nil && bob.matched != nil }); err != nil {
		return fmt.Errorf("the matchmaker never matched them: %w", err)
	}
	var matchID string
	for _, pl := range players {
		m, err := pl.socket.JoinMatchToken(ctx, pl.matched.GetToken(), nil)
		if err != nil {
			return fmt.Errorf("%s: joining the match: %w", pl.name, err)
		}
		matchID = m.GetMatchId()
		p.say(pl.name, "was matched with %d players and joined the match", len(pl.matched.GetUsers()))
	}

	// Match data.
	if err := alice.socket.SendMatchData(ctx, matchID, 1, []byte("e2e4"), nil); err != nil {
		return err
	}
	if err := tickUntil(ctx, players, 10*time.Second, func() bool { return len(bob.data) > 0 }); err != nil {
		return fmt.Errorf("bob never got alice's move: %w", err)
	}
	p.say("bob", "received op %d %q from alice", bob.data[0].GetOpCode(), bob.data[0].GetData())
	if err := bob.socket.SendMatchData(ctx, matchID, 1, []byte("e7e5"), nil); err != nil {
		return err
	}
	if err := tickUntil(ctx, players, 10*time.Second, func() bool { return len(alice.data) > 0 }); err != nil {
		return fmt.Errorf("alice never got bob's move: %w", err)
	}
	p.say("alice", "received op %d %q from bob", alice.data[0].GetOpCode(), alice.data[0].GetData())
	for _, pl := range players {
		if err := pl.socket.LeaveMatch(ctx, matchID); err != nil {
			return err
		}
	}
	p.say("server", "both left the match; closing the sockets")
	return nil
}

// tickUntil runs the game loop: it ticks every socket, so their handlers
// run here, until done holds or limit passes.
func tickUntil(ctx context.Context, players []*player, limit time.Duration, done func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	frame := time.NewTicker(5 * time.Millisecond)
	defer frame.Stop()
	for {
		for _, pl := range players {
			pl.socket.Tick()
		}
		if done() {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("timed out waiting")
		case <-frame.C:
		}
	}
}
