// Package module is an example Nakama Go server module, tested on
// nakamatest (see module_test.go) without a server, a database or a
// plugin build. Its InitModule registers:
//
//   - the RPC "whoami", which answers with what the runtime's context says
//     about the caller;
//   - the RPC "create_match" and the authoritative match "echo", whose loop
//     sends every message back to all players with op code 2, counts its
//     ticks, answers the signal "ticks" with the count (the RPC
//     "match_ticks" sends it), and ends once it has been empty for 10 s;
//   - a before hook on UpdateAccount that rejects display names containing
//     "admin" with InvalidArgument;
//   - the leaderboard "weekly" (resets Mondays at 00:00 UTC), the RPCs
//     "create_league" and "delete_league" with which a player makes and
//     removes a leaderboard of their own with the reset schedule they choose,
//     and a reset callback that records each reset time in storage
//     ("resets", the board's id, owned by the system) and tells a league's
//     owner in a notification (code 100, content a Reset).
//
// The README says how to run it on a real Nakama as a plugin and run the
// same tests against it.
package module

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/runtime"
)

// The gRPC codes the module's errors carry.
const (
	codeInvalidArgument  = 3
	codeNotFound         = 5
	codeAlreadyExists    = 6
	codePermissionDenied = 7
)

// InitModule registers the module's functions; it is the plugin's entry
// point.
func InitModule(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, initializer runtime.Initializer) error {
	rpcs := map[string]func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule, string) (string, error){
		"whoami":        whoami,
		"create_match":  createMatch,
		"match_ticks":   matchTicks,
		"create_league": createLeague,
		"delete_league": deleteLeague,
	}
	for id, fn := range rpcs {
		if err := initializer.RegisterRpc(id, fn); err != nil {
			return err
		}
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

// Who is what whoami answers: what the runtime's context says about the
// call.
type Who struct {
	UserID     string              `json:"user_id,omitempty"`
	Username   string              `json:"username,omitempty"`
	Vars       map[string]string   `json:"vars,omitempty"`
	Expiry     int64               `json:"expiry,omitempty"` // the session token's, Unix seconds
	SessionID  string              `json:"session_id,omitempty"`
	Lang       string              `json:"lang,omitempty"`
	Mode       string              `json:"mode"`
	ClientIP   string              `json:"client_ip,omitempty"`
	ClientPort string              `json:"client_port,omitempty"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Query      map[string][]string `json:"query,omitempty"`
	Payload    string              `json:"payload"`
}

func ctxString(ctx context.Context, key string) string {
	v, _ := ctx.Value(key).(string)
	return v
}

func whoami(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, payload string) (string, error) {
	w := Who{UserID: ctxString(ctx, runtime.RUNTIME_CTX_USER_ID), Username: ctxString(ctx, runtime.RUNTIME_CTX_USERNAME),
		SessionID: ctxString(ctx, runtime.RUNTIME_CTX_SESSION_ID), Lang: ctxString(ctx, runtime.RUNTIME_CTX_LANG),
		Mode: ctxString(ctx, runtime.RUNTIME_CTX_MODE), ClientIP: ctxString(ctx, runtime.RUNTIME_CTX_CLIENT_IP),
		ClientPort: ctxString(ctx, runtime.RUNTIME_CTX_CLIENT_PORT), Payload: payload}
	w.Vars, _ = ctx.Value(runtime.RUNTIME_CTX_VARS).(map[string]string)
	w.Expiry, _ = ctx.Value(runtime.RUNTIME_CTX_USER_SESSION_EXP).(int64)
	w.Headers, _ = ctx.Value(runtime.RUNTIME_CTX_HEADERS).(map[string][]string)
	w.Query, _ = ctx.Value(runtime.RUNTIME_CTX_QUERY_PARAMS).(map[string][]string)
	b, err := json.Marshal(w)
	return string(b), err
}

// createMatch starts an echo match; its label names the caller's username,
// so a player finds their own match by the query +label.creator:NAME.
func createMatch(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, _ string) (string, error) {
	return nk.MatchCreate(ctx, "echo", map[string]any{"creator": ctxString(ctx, runtime.RUNTIME_CTX_USERNAME)})
}

// matchTicks answers with the tick count of the echo match whose id is the
// payload.
func matchTicks(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, id string) (string, error) {
	return nk.MatchSignal(ctx, id, "ticks")
}

// League is create_league's payload: a leaderboard of the caller's, reset
// on the cron schedule Reset (Nakama's dialect: five fields, or seven with
// seconds first and a year last).
type League struct {
	ID    string `json:"id"`
	Reset string `json:"reset"`
}

func createLeague(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, payload string) (string, error) {
	owner := ctxString(ctx, runtime.RUNTIME_CTX_USER_ID)
	var l League
	if owner == "" {
		return "", runtime.NewError("a league needs a player's session", codePermissionDenied)
	}
	if err := json.Unmarshal([]byte(payload), &l); err != nil || l.ID == "" || l.Reset == "" {
		return "", runtime.NewError(`payload must be {"id":...,"reset":...}`, codeInvalidArgument)
	}
	// LeaderboardCreate succeeds, changing nothing, for an id in use.
	boards, err := nk.LeaderboardsGetId(ctx, []string{l.ID})
	if err != nil {
		return "", err
	}
	if len(boards) != 0 {
		return "", runtime.NewError("league id in use", codeAlreadyExists)
	}
	if err := nk.LeaderboardCreate(ctx, l.ID, false, "desc", "best", l.Reset, map[string]any{"owner": owner}, true); err != nil {
		return "", err
	}
	return "", nil
}

// deleteLeague removes the caller's league whose id is the payload.
func deleteLeague(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, id string) (string, error) {
	boards, err := nk.LeaderboardsGetId(ctx, []string{id})
	if err != nil {
		return "", err
	}
	if len(boards) != 1 {
		return "", runtime.NewError("no such league", codeNotFound)
	}
	if leagueOwner(boards[0]) != ctxString(ctx, runtime.RUNTIME_CTX_USER_ID) {
		return "", runtime.NewError("not your league", codePermissionDenied)
	}
	return "", nk.LeaderboardDelete(ctx, id)
}

func leagueOwner(lb *api.Leaderboard) string {
	var m struct {
		Owner string `json:"owner"`
	}
	if json.Unmarshal([]byte(lb.Metadata), &m) != nil {
		return ""
	}
	return m.Owner
}

func checkDisplayName(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, in *api.UpdateAccountRequest) (*api.UpdateAccountRequest, error) {
	if strings.Contains(strings.ToLower(in.GetDisplayName().GetValue()), "admin") {
		return nil, runtime.NewError("display name not allowed", codeInvalidArgument)
	}
	return in, nil
}

// ResetNotification is the notification code of a league's reset.
const ResetNotification = 100

// Reset is what the reset callback tells a league's owner: the reset time
// and the board's previous and next resets as the server passed them, and
// the context's mode (Unix seconds).
type Reset struct {
	Leaderboard string `json:"leaderboard"`
	Reset       int64  `json:"reset"`
	PrevReset   int64  `json:"prev_reset"`
	NextReset   int64  `json:"next_reset"`
	Mode        string `json:"mode"`
}

func recordReset(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, lb *api.Leaderboard, reset int64) error {
	_, err := nk.StorageWrite(ctx, []*runtime.StorageWrite{{Collection: "resets", Key: lb.Id,
		Value: `{"reset":` + strconv.FormatInt(reset, 10) + `}`, PermissionRead: 2}})
	if owner := leagueOwner(lb); owner != "" {
		content := map[string]any{"leaderboard": lb.Id, "reset": reset, "prev_reset": lb.PrevReset, "next_reset": lb.NextReset,
			"mode": ctxString(ctx, runtime.RUNTIME_CTX_MODE)}
		err = errors.Join(err, nk.NotificationSend(ctx, owner, "league reset", content, ResetNotification, "", false))
	}
	return err
}

// echoMatch is the "echo" match.
type echoMatch struct{}

// emptyTicks is how long an echo match lives without players: 10 s.
const emptyTicks = 100

type echoState struct {
	ticks, idle int64 // ticks so far, and since the match was last occupied
	players     int
}

func (*echoMatch) MatchInit(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, params map[string]any) (any, int, string) {
	label, _ := json.Marshal(map[string]any{"mode": "echo", "creator": params["creator"]})
	return &echoState{}, 10, string(label)
}

func (*echoMatch) MatchJoinAttempt(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, _ runtime.Presence, _ map[string]string) (any, bool, string) {
	return state, true, ""
}

func (*echoMatch) MatchJoin(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, joins []runtime.Presence) any {
	state.(*echoState).players += len(joins)
	return state
}

func (*echoMatch) MatchLeave(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, leaves []runtime.Presence) any {
	state.(*echoState).players -= len(leaves)
	return state
}

func (*echoMatch) MatchLoop(_ context.Context, logger runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, d runtime.MatchDispatcher, _ int64, state any, messages []runtime.MatchData) any {
	st := state.(*echoState)
	st.ticks++
	if st.players > 0 {
		st.idle = 0
	} else if st.idle++; st.idle >= emptyTicks {
		return nil // nil ends the match
	}
	for _, m := range messages {
		if err := d.BroadcastMessage(2, m.GetData(), nil, m, true); err != nil {
			logger.Warn("broadcast: %v", err)
		}
	}
	return st
}

func (*echoMatch) MatchTerminate(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, _ any, _ int) any {
	return nil
}

func (*echoMatch) MatchSignal(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, data string) (any, string) {
	if data == "ticks" {
		return state, strconv.FormatInt(state.(*echoState).ticks, 10)
	}
	return state, ""
}
