// Package nakama is a client for the Nakama game server: accounts, sessions,
// friends, groups, leaderboards, tournaments, storage, notifications, RPC and
// purchases over the server's REST API.
//
// # Getting started
//
// A Client has one method per server operation. NewClient returns a
// DefaultClient that speaks REST:
//
//	client, err := nakama.NewClient("http://127.0.0.1:7350", "defaultkey", nil)
//	session, err := client.AuthenticateDevice(ctx, deviceID, nil)
//	account, err := client.GetAccount(ctx, session)
//
// # Sessions
//
// A Session holds a user's tokens. Before an authenticated call the client
// refreshes a session that expires within ClientOptions.RefreshWindow, and
// concurrent callers share that one refresh: each refresh answers with a new
// refresh token (Nakama 3.40 keeps the old one valid, but a server whose hooks
// or configuration revoke it would break racing refreshes), and one request
// serves everyone anyway. ClientOptions.OnSessionRefresh hands the new
// tokens to the application; RestoreSession brings stored tokens back.
//
// # Errors
//
// A failure the server reports is a *Error carrying its gRPC code, message
// and HTTP status. Compare with errors.Is(err, nakama.ErrNotFound) and the
// other sentinels, or use CodeOf. Network failures and context errors stay
// themselves, so errors.Is(err, context.DeadlineExceeded) works. Answers that
// are not the server's (a proxy's HTML error page) wrap ErrBadResponse.
//
// # Retries
//
// Calls that are safe to repeat are retried after connection failures and
// transient answers, with capped exponential backoff and full jitter, within
// the context and ClientOptions.Retry (DefaultRetry by default).
//
// # Realtime
//
// A Socket speaks the realtime API: chat, matches, the matchmaker, parties,
// status and RPC. NewWebSocket makes one over a WebSocketAdapter (or any
// SocketAdapter); Connect opens it with a session:
//
//	socket, err := nakama.NewWebSocket("http://127.0.0.1:7350", nil)
//	socket.OnMatchData(func(d *rtapi.MatchData) { ... })
//	err = socket.Connect(ctx, session, nil)
//	match, err := socket.CreateMatch(ctx, nil)
//	for running { socket.Tick(); ... } // handlers run here, in arrival order
//	socket.Close()
//
// Requests wait for their own replies and may be made from many goroutines,
// and from handlers. Messages that arrive unasked go to the handlers, which
// run when the application calls Tick on its own goroutine (the game-loop
// model) or, with SocketOptions.AutoDispatch, on one internal goroutine.
// Events wait in a bounded queue; see SocketOptions.EventQueueSize for what
// happens when it is full. A heartbeat detects a dead connection (see
// KeepaliveConfig) and reports it as a disconnect.
//
// # Browser
//
// The package builds for GOOS=js GOARCH=wasm and runs in a browser: there
// RESTAdapter sends through the browser's fetch and WebSocketAdapter uses
// the browser's WebSocket, both through syscall/js, so a program links
// neither net/http nor a WebSocket library, nor log/slog (Logger is a
// console logger there, see NewConsoleLogger). The demo's player weighs
// about 2.4 MB gzipped, most of it protobuf and the api types. In a browser
// the options that belong to the network stack are gone (RESTOptions keeps
// Timeout, WebSocketAdapterOptions keeps ReadLimit), a refused socket
// handshake is explained by one extra request, since the browser hides the
// server's answer, and the browser answers WebSocket pings itself.
//
// The browser has one thread, and its rule is: never block in a js.FuncOf
// callback. Every call that waits for the server (a Client method, a
// socket request, Connect) waits for a later JavaScript event, which
// cannot come while a callback holds the thread, so inside a callback start
// a goroutine instead. Run the game loop with FrameLoop: it calls Tick once
// per animation frame on a goroutine of its own, so handlers may make
// requests. Close is the exception: in a browser it returns at once and
// finishes on a goroutine, so an event callback may call it.
//
//	socket.OnChannelMessage(func(m *api.ChannelMessage) {
//		// On FrameLoop's goroutine: waiting for an answer is fine.
//		users, err := client.GetUsers(ctx, session, []string{m.GetSenderId()}, nil, nil)
//		...
//	})
//	nakama.FrameLoop(ctx, socket, draw)
//	send := js.FuncOf(func(js.Value, []js.Value) any {
//		go socket.WriteChatMessage(ctx, channelID, text) // not in the callback itself
//		return nil
//	})
//	closeButton := js.FuncOf(func(js.Value, []js.Value) any {
//		socket.Close() // returns at once in a browser
//		return nil
//	})
//
// go run ./cmd/nakama web serves a page that does all of this against
// nakamatest and a bot.
//
// # Testing
//
// Package nakamatest runs an in-memory, Nakama-compatible server for tests.
package nakama
