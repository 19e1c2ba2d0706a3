package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gonakama/nakama"
)

// The operations the runner and the package's workloads record.
const (
	OpAuth    = "auth"    // AuthenticateDevice, REST
	OpConnect = "connect" // socket dial and handshake
	OpPlay    = "play"    // a Workload's Play that failed

	OpMatchCreate = "match.create" // CreateMatch (join a relayed match by name)
	OpMatchSend   = "match.send"   // SendMatchData queued (errors only: no reply)
	OpMatchData   = "match.data"   // one-way delivery of relayed match data
	OpMatchJoin   = "match.join"   // JoinMatchToken after the matchmaker

	OpChatJoin     = "chat.join"     // JoinChat
	OpChatWrite    = "chat.write"    // WriteChatMessage, until its ack
	OpChatDelivery = "chat.delivery" // one-way delivery of a chat message

	OpRPCSocket = "rpc.socket" // RpcFunc over the socket
	OpRPCREST   = "rpc.rest"   // RpcFunc over REST

	OpLeaderboardWrite = "leaderboard.write" // WriteLeaderboardRecord
	OpLeaderboardList  = "leaderboard.list"  // ListLeaderboardRecords

	OpMatchmakerAdd     = "matchmaker.add"     // AddMatchmaker
	OpMatchmakerMatched = "matchmaker.matched" // from AddMatchmaker to the MatchmakerMatched event
)

// Player is one simulated player, as a Workload's Play sees it: signed in
// and connected. Its methods are safe for concurrent use (Play and the
// socket's handlers call them at once), except Rand.
type Player struct {
	// Index numbers the player within its workload, from 0; players that
	// share a match or a room are neighbours by index (see Group).
	Index int
	// DeviceID is the device id the player signed in with.
	DeviceID string
	// Client is the run's REST client, shared by every player.
	Client nakama.Client
	// Session is the player's session.
	Session *nakama.Session
	// Socket is the player's connected socket, with AutoDispatch.
	Socket *nakama.WebSocket

	run  *Runner
	ns   string
	rand *rand.Rand
}

// Namespace returns a name for what the run's players share (match names,
// rooms, matchmaker properties): derived from the seed and the workload's
// place in a Mix, so reruns reuse it and separate parts of a Mix do not meet.
func (p *Player) Namespace() string { return p.ns }

// Group returns the number of the group of size players this player
// belongs to: players 0..size-1 are group 0, and so on.
func (p *Player) Group(size int) int {
	if size <= 0 {
		return 0
	}
	return p.Index / size
}

// Rand returns the player's random source, seeded from the scenario's seed
// and the player's index. Use it from Play's goroutine only.
func (p *Player) Rand() *rand.Rand { return p.rand }

// Record counts op as done, taking since start, or as failed with err.
// Some failures are not counted: those after ctx ended (the run or the
// player was told to stop: the stop itself, not the server's doing), and
// those of a socket that dropped (errors.Is(err, nakama.ErrSocketClosed)),
// which the runner counts once, as a "disconnect".
func (p *Player) Record(ctx context.Context, op string, start time.Time, err error) {
	p.RecordLatency(ctx, op, time.Since(start), err)
}

// RecordLatency is Record with the latency measured by the caller.
func (p *Player) RecordLatency(ctx context.Context, op string, d time.Duration, err error) {
	if err != nil && (ctx.Err() != nil || errors.Is(err, nakama.ErrSocketClosed)) {
		return
	}
	p.run.record(Sample{Op: op, Latency: d, Err: err, Code: nakama.CodeOf(err)})
}

// Sent counts n messages sent. It returns false once the run's message
// budget (Scenario.Messages) is spent, and the run then ends; the caller
// should stop sending.
func (p *Player) Sent(n int) bool { return p.run.sent(int64(n)) }

// Received counts n messages received.
func (p *Player) Received(n int) { p.run.stats.received.Add(int64(n)) }

// Think waits for a pause drawn from t, or until ctx ends; it returns
// ctx's error then.
func (p *Player) Think(ctx context.Context, t ThinkTime) error {
	return sleep(ctx, t.draw(p.rand))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deviceID is player i's device id: between 10 and 128 bytes, as the server
// requires, for any seed of at most 64 bytes.
func deviceID(seed string, i int) string {
	return fmt.Sprintf("gonakama-load-%s-%d", seed, i)
}

// errStopped ends a Play whose run spent its message budget.
var errStopped = errors.New("load: message budget spent")
