package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// playerPkg is the browser player, built for js/wasm.
const playerPkg = "github.com/gonakama/nakama/cmd/nakama/webplayer"

//go:embed web.html
var webPage []byte

// web builds the browser player, starts nakamatest and a bot player, and
// serves the page on loopback until the last page that opened it has been
// closed for a few seconds, or ctx ends.
func web(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7360", "loopback address to serve the page on")
	size := fs.Bool("size", false, "build the player, print its size and what it is made of, and exit")
	linger := fs.Duration("linger", 5*time.Second, "how long to wait for a page after the last one closed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "building the browser player (GOOS=js GOARCH=wasm)...")
	pl, err := buildPlayer(ctx)
	if err != nil {
		return err
	}
	if *size {
		pl.report.print(stdout, 25)
		return nil
	}
	fmt.Fprintf(stdout, "player.wasm: %.2f MB gzipped\n", float64(pl.report.Gzipped)/1e6)
	d, err := startWeb(ctx, pl, *addr, *linger, stderr)
	if err != nil {
		return err
	}
	defer d.close()
	fmt.Fprintf(stdout, "open %s in a browser; the bot is waiting in the chat room (it stops %v after the page closes)\n", d.url, *linger)
	select {
	case <-ctx.Done():
	case <-d.gone:
		fmt.Fprintln(stdout, "the page was closed")
	}
	return nil
}

// webBuild is the built browser player.
type webBuild struct {
	wasmExec []byte
	report   *wasmReport
}

// buildPlayer builds the player with the go command on PATH, in the module
// this command runs from, and reads the Go distribution's wasm_exec.js.
func buildPlayer(ctx context.Context) (*webBuild, error) {
	dir, err := os.MkdirTemp("", "nakama-web-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "player.wasm")
	// Without -ldflags=-s: the name section gives the breakdown by
	// package, and analyzeWasm drops it from what is served.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-w", "-o", out, playerPkg)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s (run from the gonakama module): %w\n%s", playerPkg, err, msg)
	}
	module, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	rep, err := analyzeWasm(module)
	if err != nil {
		return nil, fmt.Errorf("reading player.wasm: %w", err)
	}
	goroot, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	// Go 1.24 moved it from misc/wasm to lib/wasm.
	wasmExec, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return nil, err
	}
	return &webBuild{wasmExec: wasmExec, report: rep}, nil
}

// webDemo is the page's server: the page, the player, nakamatest behind
// them on the same origin (so the browser needs no CORS), and the bot.
type webDemo struct {
	url string
	srv *nakamatest.Server
	hs  *http.Server
	bot *webBot
	// gone is closed when the last page has been closed for linger.
	gone chan struct{}

	mu       sync.Mutex
	pages    int
	lingerT  *time.Timer
	goneOnce sync.Once
	closing  chan struct{}
	served   chan struct{}
}

func startWeb(ctx context.Context, pl *webBuild, addr string, linger time.Duration, stderr io.Writer) (*webDemo, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	d := &webDemo{url: "http://" + l.Addr().String(), srv: nakamatest.NewServer(nil),
		gone: make(chan struct{}), closing: make(chan struct{}), served: make(chan struct{})}
	// A real server's matchmaker runs every 15 seconds; the page should
	// not keep its player waiting that long.
	d.srv.SetMatchmakerInterval(time.Second)
	mux := http.NewServeMux()
	mux.Handle("/", d.srv) // the Nakama API and its socket
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(webPage)
	})
	mux.HandleFunc("GET /wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(pl.wasmExec)
	})
	mux.HandleFunc("GET /player.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		w.Write(pl.report.module)
	})
	mux.HandleFunc("GET /alive", func(w http.ResponseWriter, r *http.Request) { d.alive(w, r, linger) })
	d.hs = &http.Server{Handler: mux}
	go func() {
		defer close(d.served)
		_ = d.hs.Serve(l)
	}()
	d.bot, err = startBot(ctx, d.url, stderr)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("starting the bot: %w", err)
	}
	return d, nil
}

// alive holds one event stream open per page: when the page closes, the
// browser drops it. A reloaded page opens a new one within linger.
func (d *webDemo) alive(w http.ResponseWriter, r *http.Request, linger time.Duration) {
	d.mu.Lock()
	d.pages++
	if d.lingerT != nil {
		d.lingerT.Stop()
		d.lingerT = nil
	}
	d.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, ": open\n\n")
	http.NewResponseController(w).Flush()
	select {
	case <-r.Context().Done():
	case <-d.closing:
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pages--
	if d.pages == 0 {
		d.lingerT = time.AfterFunc(linger, func() { d.goneOnce.Do(func() { close(d.gone) }) })
	}
}

func (d *webDemo) close() {
	close(d.closing)
	if d.bot != nil {
		d.bot.close()
	}
	_ = d.hs.Shutdown(context.Background())
	<-d.served
	d.srv.Close()
	d.mu.Lock()
	if d.lingerT != nil {
		d.lingerT.Stop()
	}
	d.mu.Unlock()
}

// webBot is the Go player the page meets: it answers in the chat room,
// waits in the matchmaker and answers each match data message. Its
// handlers run on nakama.FrameLoop's goroutine and make requests there.
type webBot struct {
	socket *nakama.WebSocket
	stop   context.CancelFunc
	loop   <-chan struct{}
	stderr io.Writer
}

const botName = "bot"

func startBot(ctx context.Context, url string, stderr io.Writer) (*webBot, error) {
	client, err := nakama.NewClient(url, nakama.DefaultServerKey, nil)
	if err != nil {
		return nil, err
	}
	session, err := client.AuthenticateDevice(ctx, "nakama-web-demo-bot", &nakama.AuthenticateOptions{Username: botName})
	if err != nil {
		return nil, err
	}
	socket, err := nakama.NewWebSocket(url, nil)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	b := &webBot{socket: socket, stop: stop, stderr: stderr}
	queue := func() {
		if _, err := socket.AddMatchmaker(ctx, "*", 2, 2, nil); err != nil && ctx.Err() == nil {
			fmt.Fprintln(stderr, "bot: matchmaker:", err)
		}
	}
	socket.OnChannelMessage(func(m *api.ChannelMessage) {
		if m.GetSenderId() == session.UserID() {
			return
		}
		var c struct{ Text string }
		_ = json.Unmarshal([]byte(m.GetContent()), &c)
		reply, _ := json.Marshal(map[string]string{"text": fmt.Sprintf("hi %s, I heard %q", m.GetUsername(), c.Text)})
		_, _ = socket.WriteChatMessage(ctx, m.GetChannelId(), string(reply))
	})
	socket.OnMatchmakerMatched(func(m *rtapi.MatchmakerMatched) {
		_, _ = socket.JoinMatchToken(ctx, m.GetToken(), nil)
	})
	socket.OnMatchData(func(d *rtapi.MatchData) {
		_ = socket.SendMatchData(ctx, d.GetMatchId(), d.GetOpCode(), append([]byte("pong for "), d.GetData()...), nil)
	})
	socket.OnMatchPresence(func(e *rtapi.MatchPresenceEvent) {
		if len(e.GetLeaves()) > 0 {
			// The player left: leave too, and wait for the next one.
			_ = socket.LeaveMatch(ctx, e.GetMatchId())
			queue()
		}
	})
	if err := socket.Connect(ctx, session, &nakama.ConnectOptions{AppearOnline: true}); err != nil {
		stop()
		return nil, err
	}
	if _, err := socket.JoinChat(ctx, "lobby", rtapi.ChannelJoin_ROOM, nil); err != nil {
		stop()
		socket.Close()
		return nil, err
	}
	b.loop = nakama.FrameLoop(ctx, socket, nil)
	queue()
	return b, nil
}

func (b *webBot) close() {
	b.stop()
	<-b.loop
	if err := b.socket.Close(); err != nil && !errors.Is(err, nakama.ErrSocketClosed) {
		fmt.Fprintln(b.stderr, "bot: closing:", err)
	}
}
