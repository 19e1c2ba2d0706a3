package nakama

import (
	"context"
	"fmt"
	"syscall/js"
	"time"
)

// Logger writes the client's log lines to the JavaScript console; make one
// with NewConsoleLogger. Natively Logger is log/slog's Logger; a browser
// build has this one instead, because log/slog and the encoding/json it
// links would add about 70 kB, gzipped, to every program. No token or key
// is ever logged.
type Logger struct{ debug bool }

// NewConsoleLogger returns a Logger for ClientOptions and SocketOptions
// that writes warnings (retries, errors no handler took) with
// console.warn, and with debug a line per call with console.debug.
func NewConsoleLogger(debug bool) *Logger { return &Logger{debug: debug} }

func (l *Logger) print(level, msg string, kv ...any) {
	args := []any{msg}
	for i := 0; i+1 < len(kv); i += 2 {
		args = append(args, fmt.Sprintf("%v=%v", kv[i], kv[i+1]))
	}
	js.Global().Get("console").Call(level, args...)
}

func logCall(_ context.Context, l *Logger, op string, attempt int, took time.Duration, err error) {
	if l.debug {
		l.print("debug", "nakama call", "op", op, "attempt", attempt, "took", took, "err", err)
	}
}

func logRetry(_ context.Context, l *Logger, op string, attempt int, wait time.Duration, err error) {
	l.print("warn", "nakama retry", "op", op, "attempt", attempt, "wait", wait, "err", err)
}

func logWarn(l *Logger, msg string, err error) { l.print("warn", msg, "err", err) }
