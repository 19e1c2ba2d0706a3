package nakamatest

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
)

// The runtime.Initializer methods other than the per-operation hooks of
// runtime_gen.go.

// RegisterRpc registers fn under the lower-cased id, as Server.RegisterRPC
// does, with the runtime's context values and error codes.
func (i *moduleInitializer) RegisterRpc(id string, fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, payload string) (string, error)) error {
	if i.done {
		return errInitializerDone
	}
	if fn == nil {
		return errors.New("nakamatest: RegisterRpc: nil function")
	}
	id = strings.ToLower(id)
	log := i.logger(map[string]any{"rpc_id": id})
	i.s.RegisterRPC(id, func(ctx context.Context, in RPCRequest) (result string, err error) {
		ctx = i.s.runtimeContext(ctx, "rpc", runtimeCaller{userID: in.UserID, username: in.Username, vars: in.Vars,
			expiry: in.Expiry, sessionID: in.SessionID, lang: in.Lang, clientIP: in.ClientIP, clientPort: in.ClientPort,
			headers: in.Headers, query: in.QueryParams})
		result, err = fn(ctx, log, i.db, i.nk, in.Payload)
		if err != nil {
			var re *runtime.Error
			if errors.As(err, &re) {
				// The code travels as the runtime's; rpc.go maps an invalid one.
				return result, newError(Code(re.Code), re.Message)
			}
			return result, errors.New(serverText(err))
		}
		return result, err
	})
	return nil
}

// RegisterBeforeRt registers fn for the realtime message named id
// ("ChannelJoin", "MatchDataSend", ...; any case). It sees the message
// before the server handles it: an error answers it with
// RUNTIME_FUNCTION_EXCEPTION, a nil envelope disables the message (the
// session is closed after an error), as on the real server. Rpc has no
// realtime hooks.
func (i *moduleInitializer) RegisterBeforeRt(id string, fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, in *rtapi.Envelope) (*rtapi.Envelope, error)) error {
	if i.done {
		return errInitializerDone
	}
	name := strings.ToLower(id)
	log := i.logger(hookLogFields(name, "before"))
	i.s.modules.beforeRt[name] = func(ctx context.Context, in *rtapi.Envelope) (*rtapi.Envelope, error) {
		return fn(ctx, log, i.db, i.nk, in)
	}
	return nil
}

// RegisterAfterRt registers fn to run after the realtime message named id
// was handled successfully, with the answer (nil for a message without
// one, or sent without a cid) and the request.
func (i *moduleInitializer) RegisterAfterRt(id string, fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, out, in *rtapi.Envelope) error) error {
	if i.done {
		return errInitializerDone
	}
	name := strings.ToLower(id)
	log := i.logger(hookLogFields(name, "after"))
	i.s.modules.afterRt[name] = func(ctx context.Context, out, in *rtapi.Envelope) error {
		return fn(ctx, log, i.db, i.nk, out, in)
	}
	return nil
}

// RegisterMatchmakerMatched registers fn to run when the matchmaker forms a
// match: a match id it returns is sent to the matched users instead of a
// token; an error or "" keeps the token.
func (i *moduleInitializer) RegisterMatchmakerMatched(fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, entries []runtime.MatchmakerEntry) (string, error)) error {
	if i.done {
		return errInitializerDone
	}
	log := i.logger(map[string]any{"mode": "matchmaker"})
	i.s.OnMatchmakerMatched(func(ctx context.Context, entries []*MatchmakerEntry) (string, error) {
		ctx = i.s.runtimeContext(ctx, "matchmaker", runtimeCaller{})
		list := make([]runtime.MatchmakerEntry, len(entries))
		for k, e := range entries {
			list[k] = e
		}
		return fn(ctx, log, i.db, i.nk, list)
	})
	return nil
}

// RegisterMatchmakerOverride is accepted and never called: nakamatest's
// matchmaker forms its matches itself.
func (i *moduleInitializer) RegisterMatchmakerOverride(func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, candidateMatches [][]runtime.MatchmakerEntry) (matches [][]runtime.MatchmakerEntry)) error {
	return i.accepted("RegisterMatchmakerOverride")
}

// RegisterMatchmakerProcessor is accepted and never called, as
// RegisterMatchmakerOverride.
func (i *moduleInitializer) RegisterMatchmakerProcessor(func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, entries []runtime.MatchmakerEntry) (matches [][]runtime.MatchmakerEntry)) error {
	return i.accepted("RegisterMatchmakerProcessor")
}

// accepted logs that a registration will never fire, so a module that
// makes it still loads.
func (i *moduleInitializer) accepted(method string) error {
	if i.done {
		return errInitializerDone
	}
	i.s.log.Warn("nakamatest: module registration accepted but never called", "method", "Initializer."+method)
	return nil
}

// RegisterMatch registers the authoritative match handler name: fn makes a
// runtime.Match for each match created under it (MatchCreate, or a
// matchmaker matched function's answer), which runs as Server.RegisterMatch
// runs a MatchHandler. A factory that fails is logged and the creation
// fails with the runtime's "Match initial state must not be nil".
func (i *moduleInitializer) RegisterMatch(name string, fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule) (runtime.Match, error)) error {
	if i.done {
		return errInitializerDone
	}
	if fn == nil {
		return errors.New("nakamatest: RegisterMatch: nil function")
	}
	i.s.RegisterMatch(name, &moduleMatch{i: i, name: name, factory: fn})
	return nil
}

// RegisterTournamentEnd registers fn to run when a tournament ends, on the
// server clock (see FastForward).
func (i *moduleInitializer) RegisterTournamentEnd(fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, tournament *api.Tournament, end, reset int64) error) error {
	return i.setTournament(&i.s.modules.tournamentEnd, "tournament_end", fn)
}

// RegisterTournamentReset registers fn to run when a tournament's period
// resets, on the server clock.
func (i *moduleInitializer) RegisterTournamentReset(fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, tournament *api.Tournament, end, reset int64) error) error {
	return i.setTournament(&i.s.modules.tournamentReset, "tournament_reset", fn)
}

func (i *moduleInitializer) setTournament(to *func(context.Context, *api.Tournament, int64, int64) error, mode string, fn func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule, *api.Tournament, int64, int64) error) error {
	if i.done {
		return errInitializerDone
	}
	log := i.logger(map[string]any{"mode": mode})
	*to = func(ctx context.Context, t *api.Tournament, end, reset int64) error {
		return fn(ctx, log, i.db, i.nk, t, end, reset)
	}
	return nil
}

// RegisterLeaderboardReset registers fn to run when a leaderboard resets,
// on the server clock.
func (i *moduleInitializer) RegisterLeaderboardReset(fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, leaderboard *api.Leaderboard, reset int64) error) error {
	if i.done {
		return errInitializerDone
	}
	log := i.logger(map[string]any{"mode": "leaderboard_reset"})
	i.s.modules.leaderboardReset = func(ctx context.Context, lb *api.Leaderboard, reset int64) error {
		return fn(ctx, log, i.db, i.nk, lb, reset)
	}
	return nil
}

// RegisterPurchaseNotificationApple is accepted and never called: stores
// never reach nakamatest.
func (i *moduleInitializer) RegisterPurchaseNotificationApple(func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, notificationType runtime.NotificationType, purchase *api.ValidatedPurchase, payload *runtime.AppleNotificationData) error) error {
	return i.accepted("RegisterPurchaseNotificationApple")
}

// RegisterSubscriptionNotificationApple is accepted and never called.
func (i *moduleInitializer) RegisterSubscriptionNotificationApple(func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, notificationType runtime.NotificationType, subscription *api.ValidatedSubscription, payload *runtime.AppleNotificationData) error) error {
	return i.accepted("RegisterSubscriptionNotificationApple")
}

// RegisterPurchaseNotificationGoogle is accepted and never called.
func (i *moduleInitializer) RegisterPurchaseNotificationGoogle(func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, notificationType runtime.NotificationType, purchase *api.ValidatedPurchase, providerPayload *runtime.PurchaseV2GoogleResponse) error) error {
	return i.accepted("RegisterPurchaseNotificationGoogle")
}

// RegisterSubscriptionNotificationGoogle is accepted and never called.
func (i *moduleInitializer) RegisterSubscriptionNotificationGoogle(func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, notificationType runtime.NotificationType, subscription *api.ValidatedSubscription, providerPayload *runtime.SubscriptionV2GoogleResponse) error) error {
	return i.accepted("RegisterSubscriptionNotificationGoogle")
}

// RegisterEvent registers fn to receive every event: those clients send
// with Event and those modules send with NakamaModule.Event. It runs before
// the call that sent the event returns.
func (i *moduleInitializer) RegisterEvent(fn func(ctx context.Context, logger runtime.Logger, evt *api.Event)) error {
	return i.addEvent(&i.s.modules.events, fn)
}

// RegisterEventSessionStart registers fn to run when a socket session
// starts, with an event named "session_start".
func (i *moduleInitializer) RegisterEventSessionStart(fn func(ctx context.Context, logger runtime.Logger, evt *api.Event)) error {
	return i.addEvent(&i.s.modules.sessionStart, fn)
}

// RegisterEventSessionEnd registers fn to run when a socket session ends,
// with an event named "session_end".
func (i *moduleInitializer) RegisterEventSessionEnd(fn func(ctx context.Context, logger runtime.Logger, evt *api.Event)) error {
	return i.addEvent(&i.s.modules.sessionEnd, fn)
}

func (i *moduleInitializer) addEvent(to *[]func(context.Context, runtime.Logger, *api.Event), fn func(context.Context, runtime.Logger, *api.Event)) error {
	if i.done {
		return errInitializerDone
	}
	if fn == nil {
		return errors.New("nakamatest: nil event function")
	}
	*to = append(*to, fn)
	return nil
}

// RegisterStorageIndex is accepted; StorageIndexList is not modelled.
func (i *moduleInitializer) RegisterStorageIndex(name, collection, key string, fields []string, sortableFields []string, maxEntries int, indexOnly bool) error {
	return i.accepted("RegisterStorageIndex")
}

// RegisterStorageIndexFilter is accepted and never called.
func (i *moduleInitializer) RegisterStorageIndexFilter(indexName string, fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, write *runtime.StorageWrite) bool) error {
	return i.accepted("RegisterStorageIndexFilter")
}

// RegisterFleetManager is accepted; GetFleetManager's methods are not
// modelled.
func (i *moduleInitializer) RegisterFleetManager(runtime.FleetManagerInitializer) error {
	return i.accepted("RegisterFleetManager")
}

// RegisterShutdown is accepted and never called: nakamatest's Close is
// immediate, like a server with shutdown_grace_sec 0.
func (i *moduleInitializer) RegisterShutdown(fn func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule)) error {
	return i.accepted("RegisterShutdown")
}

// RegisterHttp serves handler at the exact path pathPattern (path
// variables are not modelled) for the given methods (all when none), on
// the API port as the server does, outside the gateway.
func (i *moduleInitializer) RegisterHttp(pathPattern string, handler func(http.ResponseWriter, *http.Request), methods ...string) error {
	if i.done {
		return errInitializerDone
	}
	if !strings.HasPrefix(pathPattern, "/") || strings.ContainsAny(pathPattern, "{}") {
		return errors.New("nakamatest: RegisterHttp: the path must be an exact path starting with /")
	}
	if _, dup := i.s.paths[pathPattern]; dup || strings.HasPrefix(pathPattern, "/v2/") || pathPattern == "/ws" || pathPattern == "/" {
		return errors.New("nakamatest: RegisterHttp: path " + pathPattern + " is taken")
	}
	i.s.paths[pathPattern] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(methods) > 0 && !slices.Contains(methods, r.Method) {
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		handler(w, r)
	})
	return nil
}

// RegisterConsoleHttp is accepted and never called: nakamatest has no
// console.
func (i *moduleInitializer) RegisterConsoleHttp(pathPattern string, handler func(http.ResponseWriter, *http.Request), methods ...string) error {
	return i.accepted("RegisterConsoleHttp")
}

// moduleMatch is the MatchHandler of a module's RegisterMatch: each match
// gets its own runtime.Match from the factory, kept beside its state.
type moduleMatch struct {
	i       *moduleInitializer
	name    string
	factory func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule) (runtime.Match, error)
}

type moduleMatchState struct {
	m     runtime.Match
	log   runtime.Logger
	state any
}

// matchContext adds to a match's context the values every runtime context
// has.
func (h *moduleMatch) matchContext(ctx context.Context) context.Context {
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_ENV, h.i.s.modules.env)
	return withRuntimeValue(ctx, runtime.RUNTIME_CTX_VERSION, serverVersion)
}

func (h *moduleMatch) MatchInit(ctx context.Context, params map[string]any) (any, int, string) {
	ctx = h.matchContext(ctx)
	id, _ := ctx.Value(runtime.RUNTIME_CTX_MATCH_ID).(string)
	log := h.i.s.modules.log.WithFields(map[string]any{"mid": id, "module": h.name})
	m, err := h.factory(ctx, log, h.i.db, h.i.nk)
	if err != nil || m == nil {
		log.Error("match factory failed: %v", err)
		return nil, 0, ""
	}
	state, rate, label := m.MatchInit(ctx, log, h.i.db, h.i.nk, params)
	if state == nil {
		return nil, rate, label
	}
	return &moduleMatchState{m: m, log: log, state: state}, rate, label
}

// next keeps the state a call returned; nil ends the match.
func (st *moduleMatchState) next(state any) any {
	if state == nil {
		return nil
	}
	st.state = state
	return st
}

func (h *moduleMatch) MatchJoinAttempt(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, p runtime.Presence, md map[string]string) (any, bool, string) {
	st := state.(*moduleMatchState)
	ns, ok, reason := st.m.MatchJoinAttempt(h.matchContext(ctx), st.log, h.i.db, h.i.nk, d, tick, st.state, p, md)
	return st.next(ns), ok, reason
}

func (h *moduleMatch) MatchJoin(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	st := state.(*moduleMatchState)
	return st.next(st.m.MatchJoin(h.matchContext(ctx), st.log, h.i.db, h.i.nk, d, tick, st.state, ps))
}

func (h *moduleMatch) MatchLeave(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	st := state.(*moduleMatchState)
	return st.next(st.m.MatchLeave(h.matchContext(ctx), st.log, h.i.db, h.i.nk, d, tick, st.state, ps))
}

func (h *moduleMatch) MatchLoop(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, msgs []runtime.MatchData) any {
	st := state.(*moduleMatchState)
	return st.next(st.m.MatchLoop(h.matchContext(ctx), st.log, h.i.db, h.i.nk, d, tick, st.state, msgs))
}

func (h *moduleMatch) MatchTerminate(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, grace int) any {
	st := state.(*moduleMatchState)
	return st.next(st.m.MatchTerminate(h.matchContext(ctx), st.log, h.i.db, h.i.nk, d, tick, st.state, grace))
}

func (h *moduleMatch) MatchSignal(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, data string) (any, string) {
	st := state.(*moduleMatchState)
	ns, result := st.m.MatchSignal(h.matchContext(ctx), st.log, h.i.db, h.i.nk, d, tick, st.state, data)
	return st.next(ns), result
}
