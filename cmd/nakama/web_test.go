package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The player is built once for the tests of this file: a wasm build takes
// a while.
var (
	playerOnce  sync.Once
	playerBuilt *webBuild
	playerErr   error
)

func builtPlayer(t *testing.T) *webBuild {
	t.Helper()
	playerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		playerBuilt, playerErr = buildPlayer(ctx)
	})
	if playerErr != nil {
		t.Fatal(playerErr)
	}
	return playerBuilt
}

// TestWebPlayerSize prints what the browser player weighs and what it is
// made of, and fails when it is over its budget.
func TestWebPlayerSize(t *testing.T) {
	pl := builtPlayer(t)
	var b strings.Builder
	pl.report.print(&b, 15)
	t.Log("\n" + b.String())
	if pl.report.Gzipped > wasmBudget {
		t.Errorf("player.wasm is %d bytes gzipped, over the budget of %d", pl.report.Gzipped, wasmBudget)
	}
}

// chromium returns Debian's Chromium, or skips the test without it; in CI
// (CI=true) a missing browser fails the test, since .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no chromium on PATH (apt-get install chromium, or set CHROMIUM to a browser binary)"
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
	return ""
}

// TestWebBrowser serves the demo and plays it in headless Chromium, in
// both socket formats: the page authenticates, talks with the bot, looks it
// up from a handler, meets it through the matchmaker, exchanges match data
// and closes the socket from a button's callback.
func TestWebBrowser(t *testing.T) {
	browser := chromium(t)
	pl := builtPlayer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The demo ends 5 s after its last page: long enough for the second
	// page to open after the first closed.
	d, err := startWeb(ctx, pl, "127.0.0.1:0", 5*time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()

	for _, format := range []string{"protobuf", "json"} {
		t.Run(format, func(t *testing.T) {
			// A browser of its own for each page: a second tab of one
			// browser sometimes never loaded.
			alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
				chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
				chromedp.UserDataDir(t.TempDir()))...)
			defer cancelAlloc()
			tab, closeTab := chromedp.NewContext(alloc)
			defer closeTab()
			if err := chromedp.Do(tab); err != nil {
				t.Fatalf("starting %s: %v", browser, err)
			}
			ids := []string{"auth", "socket", "chat", "bot-chat", "lookup", "matchmaker", "match", "data"}
			// Every step shows its result by being marked done; an error
			// fills #error instead, and the wait then runs out.
			steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(d.url + "/?format=" + format)}
			for _, id := range ids {
				steps = append(steps, chromedp.WaitVisible("#"+id+".done"))
			}
			// The steps get a bound of their own, so that the tab is still
			// there to say where the page stopped.
			stepCtx, cancelSteps := context.WithTimeout(tab, 45*time.Second)
			defer cancelSteps()
			if err := chromedp.Do(stepCtx, steps...); err != nil {
				errText, _ := chromedp.Run(tab, chromedp.TextContent("#error"))
				page, _ := chromedp.Run(tab, chromedp.Evaluate[string]("document.body.innerText"))
				t.Fatalf("the page did not get through its steps: %v; error shown: %q; page: %q", err, errText, page)
			}
			got := map[string]string{}
			var texts []string
			for _, id := range ids {
				s, err := chromedp.Run(tab, chromedp.TextContent("#"+id))
				if err != nil {
					t.Fatal(err)
				}
				got[id] = s
				texts = append(texts, s)
			}
			t.Logf("%s: %s", format, strings.Join(texts, " | "))
			for id, want := range map[string]string{
				"auth":       "authenticated as ",
				"socket":     "socket connected (" + format + ")",
				"bot-chat":   `the bot said: hi `,
				"lookup":     "a handler looked the bot up over REST: " + botName,
				"matchmaker": "looking for an opponent, ticket ",
				"match":      "matched with 2 players; joined the match",
				"data":       `3 match data exchanges with the bot; last answer "pong for ping 3"`,
			} {
				if !strings.Contains(got[id], want) {
					t.Errorf("#%s shows %q, want it to contain %q", id, got[id], want)
				}
			}
			if !strings.Contains(got["bot-chat"], `I heard "hello bot"`) {
				t.Errorf("the bot's answer %q does not quote the player's message", got["bot-chat"])
			}

			// Close from a click: the callback returns at once, and the
			// disconnect handler reports a normal close.
			if err := chromedp.Do(tab, chromedp.Click("#close"), chromedp.WaitVisible("#closed.done")); err != nil {
				t.Fatalf("closing from the button: %v", err)
			}
			closed, err := chromedp.Run(tab, chromedp.TextContent("#closed"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(closed, "code 1000 (closed by the client)") {
				t.Errorf("#closed shows %q, want a normal close by the client", closed)
			}
			select {
			case <-d.gone:
				t.Error("the demo took the page for closed while it was open")
			default:
			}
		})
	}
	// Every tab is closed now: the demo notices.
	select {
	case <-d.gone:
	case <-ctx.Done():
		t.Error("the demo did not notice that its last page was closed")
	}
}
