package load

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// stampSize is the bytes of match data that carry the send time.
const stampSize = 8

// Relay is relayed matches of Size players, each sending match data to the
// others at Rate messages per second. Players join their group's match by
// name (CreateMatch with a name derived from the namespace and the group),
// so no player waits for another. Every message carries its send time, and
// each delivery is recorded as a "match.data" latency: a message reaches
// Size-1 players, so received counts run Size-1 times the sent.
type Relay struct {
	// Size is the players per match. Default 4.
	Size int
	// Rate is the messages per second each player sends. Default 10.
	Rate float64
	// PayloadSize is the bytes of each message, at least 8 (the send
	// time). Default 64.
	PayloadSize int
	// OpCode is the messages' op code. Default 1.
	OpCode int64
}

func (w *Relay) name() string { return "relay" }

func (w *Relay) validate() error {
	if w.Size < 0 || w.Rate < 0 || w.PayloadSize < 0 {
		return fmt.Errorf("load: relay with a negative size, rate or payload: %+v", *w)
	}
	if w.PayloadSize > 0 && w.PayloadSize < stampSize {
		return fmt.Errorf("load: relay payload of %d bytes, fewer than the %d of its send time", w.PayloadSize, stampSize)
	}
	return nil
}

// Play implements Workload.
func (w *Relay) Play(ctx context.Context, p *Player) error {
	size, rate, payload, opCode := w.Size, w.Rate, w.PayloadSize, w.OpCode
	if size == 0 {
		size = 4
	}
	if rate == 0 {
		rate = 10
	}
	if payload == 0 {
		payload = 64
	}
	if opCode == 0 {
		opCode = 1
	}
	p.Socket.OnMatchData(func(d *rtapi.MatchData) {
		if d.GetOpCode() != opCode || len(d.GetData()) < stampSize {
			return
		}
		p.Received(1)
		p.RecordLatency(ctx, OpMatchData, sinceStamp(d.GetData()), nil)
	})
	start := time.Now()
	m, err := p.Socket.CreateMatch(ctx, &nakama.CreateMatchOptions{Name: fmt.Sprintf("%s-relay-%d", p.Namespace(), p.Group(size))})
	p.Record(ctx, OpMatchCreate, start, err)
	if err != nil {
		return err
	}
	buf := make([]byte, payload)
	interval := time.Duration(float64(time.Second) / rate)
	// A random phase spreads the players' sends over the interval.
	if err := sleep(ctx, time.Duration(p.Rand().Int64N(int64(interval)))); err != nil {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if !p.Sent(1) {
			return errStopped
		}
		binary.LittleEndian.PutUint64(buf, uint64(time.Now().UnixNano()))
		if err := p.Socket.SendMatchData(ctx, m.GetMatchId(), opCode, buf, nil); err != nil {
			p.RecordLatency(ctx, OpMatchSend, 0, err)
			return err
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// sinceStamp is the time since the send time at the head of b.
func sinceStamp(b []byte) time.Duration {
	return time.Duration(time.Now().UnixNano() - int64(binary.LittleEndian.Uint64(b)))
}

// Chat is chat rooms of RoomSize players, each writing a message after
// every think time. Each write is recorded as a "chat.write" round trip
// (until the server's ack) and each delivery to another member as a
// "chat.delivery" latency; acks and deliveries count as received.
type Chat struct {
	// RoomSize is the players per room. Default 10.
	RoomSize int
	// Think is the pause between a player's messages. Default 1 to 2 s.
	Think ThinkTime
	// Persist stores the messages in the channel's history; by default
	// they are not, so a long run does not grow the server's database.
	Persist bool
}

func (w *Chat) name() string { return "chat" }

// Play implements Workload.
func (w *Chat) Play(ctx context.Context, p *Player) error {
	size := w.RoomSize
	if size <= 0 {
		size = 10
	}
	think := w.Think.orDefault(ThinkTime{Min: time.Second, Max: 2 * time.Second})
	self := p.Session.UserID()
	p.Socket.OnChannelMessage(func(m *api.ChannelMessage) {
		if m.GetSenderId() == self {
			return
		}
		c := m.GetContent()
		i := strings.Index(c, `"t":`)
		if i < 0 {
			return
		}
		ns, err := strconv.ParseInt(strings.TrimRight(c[i+4:], "}"), 10, 64)
		if err != nil {
			return
		}
		p.Received(1)
		p.RecordLatency(ctx, OpChatDelivery, time.Duration(time.Now().UnixNano()-ns), nil)
	})
	start := time.Now()
	ch, err := p.Socket.JoinChat(ctx, fmt.Sprintf("%s-room-%d", p.Namespace(), p.Group(size)),
		rtapi.ChannelJoin_ROOM, &nakama.JoinChatOptions{Persistence: nakama.Ptr(w.Persist)})
	p.Record(ctx, OpChatJoin, start, err)
	if err != nil {
		return err
	}
	return actEvery(ctx, p, think, func() (string, error) {
		_, err := p.Socket.WriteChatMessage(ctx, ch.GetId(), fmt.Sprintf(`{"t":%d}`, time.Now().UnixNano()))
		return OpChatWrite, err
	})
}

// actEvery runs act after every think time until ctx ends or the message
// budget is spent. act makes one request and returns the operation it
// recorded as; its answer counts as a message received. A failure the
// server reports ends nothing; a broken connection ends the Play.
func actEvery(ctx context.Context, p *Player, think ThinkTime, act func() (op string, err error)) error {
	for {
		if p.Think(ctx, think) != nil {
			return nil
		}
		if !p.Sent(1) {
			return errStopped
		}
		start := time.Now()
		op, err := act()
		p.Record(ctx, op, start, err)
		if err == nil {
			p.Received(1)
		} else if !retryable(err) {
			return err
		}
	}
}

// retryable says whether a workload may carry on after err: the server
// refused this request, but the connection is fine.
func retryable(err error) bool {
	var e *nakama.Error
	return errors.As(err, &e) && !errors.Is(err, nakama.ErrSocketClosed)
}

// RPC calls the server function ID with Payload after every think time,
// over REST for the REST fraction of the calls and over the socket for the
// others, recorded as "rpc.rest" and "rpc.socket".
type RPC struct {
	// ID is the function; required. nakama load's own server registers
	// "load_echo", which returns its payload.
	ID string
	// Payload is the function's input. Default "{}".
	Payload string
	// REST is the fraction of calls made over REST, from 0 (all over the
	// socket, the default) to 1.
	REST float64
	// Think is the pause between calls. Default 1 to 2 s.
	Think ThinkTime
}

func (w *RPC) name() string { return "rpc" }

func (w *RPC) validate() error {
	if w.ID == "" {
		return errors.New("load: rpc workload without a function id")
	}
	if w.REST < 0 || w.REST > 1 {
		return fmt.Errorf("load: rpc REST fraction %v outside 0..1", w.REST)
	}
	return nil
}

// Play implements Workload.
func (w *RPC) Play(ctx context.Context, p *Player) error {
	payload := w.Payload
	if payload == "" {
		payload = "{}"
	}
	think := w.Think.orDefault(ThinkTime{Min: time.Second, Max: 2 * time.Second})
	return actEvery(ctx, p, think, func() (string, error) {
		if w.REST > 0 && p.Rand().Float64() < w.REST {
			_, err := p.Client.RpcFunc(ctx, p.Session, w.ID, payload)
			return OpRPCREST, err
		}
		_, err := p.Socket.RpcFunc(ctx, w.ID, payload)
		return OpRPCSocket, err
	})
}

// Leaderboard writes scores to the leaderboard ID over REST and reads its
// top records, one action after every think time, recorded as
// "leaderboard.write" and "leaderboard.list".
type Leaderboard struct {
	// ID is the leaderboard; it must exist. nakama load's own server
	// creates "load_scores".
	ID string
	// Reads is the fraction of actions that read, from 0 to 1. Default 0
	// means half; set a negative value for writes only.
	Reads float64
	// Limit is the records each read asks for. Default 10.
	Limit int
	// Think is the pause between actions. Default 1 to 2 s.
	Think ThinkTime
}

func (w *Leaderboard) name() string { return "leaderboard" }

func (w *Leaderboard) validate() error {
	if w.ID == "" {
		return errors.New("load: leaderboard workload without a leaderboard id")
	}
	if w.Reads > 1 {
		return fmt.Errorf("load: leaderboard read fraction %v above 1", w.Reads)
	}
	return nil
}

// Play implements Workload.
func (w *Leaderboard) Play(ctx context.Context, p *Player) error {
	reads, limit := w.Reads, w.Limit
	if reads == 0 {
		reads = 0.5
	}
	if limit <= 0 {
		limit = 10
	}
	think := w.Think.orDefault(ThinkTime{Min: time.Second, Max: 2 * time.Second})
	list := &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: limit}}
	return actEvery(ctx, p, think, func() (string, error) {
		if p.Rand().Float64() < reads {
			_, err := p.Client.ListLeaderboardRecords(ctx, p.Session, w.ID, list)
			return OpLeaderboardList, err
		}
		_, err := p.Client.WriteLeaderboardRecord(ctx, p.Session, w.ID, p.Rand().Int64N(1_000_000), nil)
		return OpLeaderboardWrite, err
	})
}

// Matchmaking sends the players through the matchmaker in waves: at every
// Interval (the same instants for all), each player asks for a match of
// Size players among this run's, waits for it ("matchmaker.matched", from
// the request to the match), joins it by token ("match.join") and leaves.
type Matchmaking struct {
	// Size is the players per match. Default 2.
	Size int
	// Interval is the time between waves. Default 5 s; a real server runs
	// its matchmaker every 15 s by default, so use at least that there.
	Interval time.Duration
	// Timeout bounds the wait for a match. Default 3 intervals, at least
	// 45 s.
	Timeout time.Duration
}

func (w *Matchmaking) name() string { return "matchmaking" }

// Play implements Workload.
func (w *Matchmaking) Play(ctx context.Context, p *Player) error {
	size, interval, timeout := w.Size, w.Interval, w.Timeout
	if size <= 1 {
		size = 2
	}
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if timeout <= 0 {
		timeout = max(3*interval, 45*time.Second)
	}
	matched := make(chan *rtapi.MatchmakerMatched, 1)
	p.Socket.OnMatchmakerMatched(func(m *rtapi.MatchmakerMatched) {
		select {
		case matched <- m:
		default:
		}
	})
	query := "+properties.load:" + p.Namespace()
	props := &nakama.MatchmakerOptions{StringProperties: map[string]string{"load": p.Namespace()}}
	for {
		// Waves start on multiples of the interval, for every player alike.
		now := time.Now()
		if sleep(ctx, now.Truncate(interval).Add(interval).Sub(now)) != nil {
			return nil
		}
		if !p.Sent(1) {
			return errStopped
		}
		start := time.Now()
		_, err := p.Socket.AddMatchmaker(ctx, query, size, size, props)
		p.Record(ctx, OpMatchmakerAdd, start, err)
		if err != nil {
			if retryable(err) {
				continue
			}
			return err
		}
		wait, cancel := context.WithTimeout(ctx, timeout)
		var m *rtapi.MatchmakerMatched
		select {
		case m = <-matched:
		case <-wait.Done():
		}
		cancel()
		if m == nil {
			if ctx.Err() != nil {
				return nil
			}
			p.Record(ctx, OpMatchmakerMatched, start, fmt.Errorf("no match within %v: %w", timeout, context.DeadlineExceeded))
			continue
		}
		p.Received(1)
		p.Record(ctx, OpMatchmakerMatched, start, nil)
		if !p.Sent(1) {
			return errStopped
		}
		start = time.Now()
		match, err := p.Socket.JoinMatchToken(ctx, m.GetToken(), nil)
		p.Record(ctx, OpMatchJoin, start, err)
		if err == nil && p.Sent(1) {
			err = p.Socket.LeaveMatch(ctx, match.GetMatchId())
		}
		if err != nil && !retryable(err) {
			return err
		}
	}
}

// Mix gives each player one of several workloads, in proportion to their
// weights: with weights 3 and 1, players 0-2 run the first, player 3 the
// second, players 4-6 the first again, and so on. Within each part players
// are numbered from 0 again, and each part has its own namespace, so
// groups (matches, rooms) form among the players of one part.
type Mix []Part

// Part is one workload of a Mix.
type Part struct {
	// Weight is the part's share of the players; at least 1.
	Weight   int
	Workload Workload
}

func (m Mix) name() string {
	names := make([]string, len(m))
	for i, p := range m {
		names[i] = fmt.Sprintf("%s×%d", workloadName(p.Workload), p.Weight)
	}
	return "mix(" + strings.Join(names, ",") + ")"
}

func (m Mix) validate() error {
	if len(m) == 0 {
		return errors.New("load: empty mix")
	}
	for i, p := range m {
		if p.Weight < 1 || p.Workload == nil {
			return fmt.Errorf("load: mix part %d has weight %d and workload %v", i, p.Weight, p.Workload)
		}
		if v, ok := p.Workload.(interface{ validate() error }); ok {
			if err := v.validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Play implements Workload: it runs the player's part with the player
// renumbered within it.
func (m Mix) Play(ctx context.Context, p *Player) error {
	total := 0
	for _, part := range m {
		total += part.Weight
	}
	cycle, pos := p.Index/total, p.Index%total
	for j, part := range m {
		if pos < part.Weight {
			sub := *p
			sub.Index = cycle*part.Weight + pos
			sub.ns = fmt.Sprintf("%s-%d", p.ns, j)
			return part.Workload.Play(ctx, &sub)
		}
		pos -= part.Weight
	}
	return nil // not reached: pos < total
}
