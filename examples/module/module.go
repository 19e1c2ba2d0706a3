// Package module is an example Nakama Go server module, tested on
// nakamatest (see module_test.go) without a server, a database or a
// plugin build. Its InitModule registers:
//
//   - the RPC "whoami", which answers with what the runtime's context says
//     about the caller;
//   - the RPC "create_match" and the authoritative match "echo", whose loop
//     sends every message back to all players with op code 2, counts its
//     ticks, and answers the signal "ticks" with the count;
//   - a before hook on UpdateAccount that rejects display names containing
//     "admin" with InvalidArgument;
//   - the leaderboard "weekly" (resets Mondays at 00:00 UTC) and a reset
//     callback that records each reset time in storage ("resets", "weekly",
//     owned by the system).
//
// To run it on a real Nakama, build it as a plugin with the server's exact
// Go toolchain (go build -buildmode=plugin) and put the .so in the
// server's runtime path.
package module

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/runtime"
)

// InitModule registers the module's functions; it is the plugin's entry
// point.
func InitModule(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, initializer runtime.Initializer) error {
	if err := initializer.RegisterRpc("whoami", whoami); err != nil {
		return err
	}
	if err := initializer.RegisterRpc("create_match", func(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, _ string) (string, error) {
		return nk.MatchCreate(ctx, "echo", map[string]any{"mode": "echo"})
	}); err != nil {
		return err
	}
	if err := initializer.RegisterMatch("echo", func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule) (runtime.Match, error) {
		return &echoMatch{}, nil
	}); err != nil {
		return err
	}
	if err := initializer.RegisterBeforeUpdateAccount(checkDisplayName); err != nil {
		return err
	}
	if err := nk.LeaderboardCreate(ctx, "weekly", true, "desc", "best", "0 0 * * 1", nil, true); err != nil {
		return err
	}
	if err := initializer.RegisterLeaderboardReset(recordReset); err != nil {
		return err
	}
	logger.Info("example module loaded")
	return nil
}

// Who is what whoami answers.
type Who struct {
	UserID    string `json:"user_id,omitempty"`
	Username  string `json:"username,omitempty"`
	SessionID string `json:"session_id,omitempty"`
	Mode      string `json:"mode"`
	ClientIP  string `json:"client_ip,omitempty"`
	Payload   string `json:"payload"`
}

func whoami(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, payload string) (string, error) {
	str := func(key string) string { v, _ := ctx.Value(key).(string); return v }
	b, err := json.Marshal(Who{UserID: str(runtime.RUNTIME_CTX_USER_ID), Username: str(runtime.RUNTIME_CTX_USERNAME),
		SessionID: str(runtime.RUNTIME_CTX_SESSION_ID), Mode: str(runtime.RUNTIME_CTX_MODE),
		ClientIP: str(runtime.RUNTIME_CTX_CLIENT_IP), Payload: payload})
	return string(b), err
}

func checkDisplayName(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, in *api.UpdateAccountRequest) (*api.UpdateAccountRequest, error) {
	if strings.Contains(strings.ToLower(in.GetDisplayName().GetValue()), "admin") {
		return nil, runtime.NewError("display name not allowed", 3) // InvalidArgument
	}
	return in, nil
}

func recordReset(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, lb *api.Leaderboard, reset int64) error {
	_, err := nk.StorageWrite(ctx, []*runtime.StorageWrite{{Collection: "resets", Key: lb.Id,
		Value: `{"reset":` + strconv.FormatInt(reset, 10) + `}`, PermissionRead: 2}})
	return err
}

// echoMatch is the "echo" match: its state is the tick count.
type echoMatch struct{}

type echoState struct{ ticks int64 }

func (*echoMatch) MatchInit(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, params map[string]any) (any, int, string) {
	mode, _ := params["mode"].(string)
	return &echoState{}, 10, `{"mode":"` + mode + `"}`
}

func (*echoMatch) MatchJoinAttempt(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, _ runtime.Presence, _ map[string]string) (any, bool, string) {
	return state, true, ""
}

func (*echoMatch) MatchJoin(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, _ []runtime.Presence) any {
	return state
}

func (*echoMatch) MatchLeave(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, _ []runtime.Presence) any {
	return state
}

func (*echoMatch) MatchLoop(_ context.Context, logger runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, d runtime.MatchDispatcher, _ int64, state any, messages []runtime.MatchData) any {
	st := state.(*echoState)
	st.ticks++
	for _, m := range messages {
		if err := d.BroadcastMessage(2, m.GetData(), nil, m, true); err != nil {
			logger.Warn("broadcast: %v", err)
		}
	}
	return st
}

func (*echoMatch) MatchTerminate(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, _ int) any {
	return nil
}

func (*echoMatch) MatchSignal(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, data string) (any, string) {
	if data == "ticks" {
		return state, strconv.FormatInt(state.(*echoState).ticks, 10)
	}
	return state, ""
}
