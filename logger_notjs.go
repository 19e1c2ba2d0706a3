//go:build !js

package nakama

import (
	"context"
	"log/slog"
	"time"
)

// Logger is what ClientOptions.Logger and SocketOptions.Logger take:
// log/slog's Logger. A browser build has a console logger of its own
// instead (NewConsoleLogger), so that it links neither log/slog nor the
// encoding/json that comes with it.
type Logger = slog.Logger

func logCall(ctx context.Context, l *Logger, op string, attempt int, took time.Duration, err error) {
	if err == nil {
		l.LogAttrs(ctx, slog.LevelDebug, "nakama call", slog.String("op", op),
			slog.Int("attempt", attempt), slog.Duration("took", took))
		return
	}
	l.LogAttrs(ctx, slog.LevelDebug, "nakama call", slog.String("op", op),
		slog.Int("attempt", attempt), slog.Duration("took", took), slog.Any("err", err))
}

func logRetry(ctx context.Context, l *Logger, op string, attempt int, wait time.Duration, err error) {
	l.LogAttrs(ctx, slog.LevelWarn, "nakama retry", slog.String("op", op),
		slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.Any("err", err))
}

func logWarn(l *Logger, msg string, err error) {
	l.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.Any("err", err))
}
