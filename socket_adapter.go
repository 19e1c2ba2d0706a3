package nakama

import (
	"context"
	"net/url"

	"github.com/gonakama/nakama/internal/wire"
)

// SocketFormat is the wire format of a realtime socket, chosen per
// connection with the server's format query parameter.
type SocketFormat uint8

const (
	// SocketProtobuf sends and receives binary frames, each a serialised
	// rtapi.Envelope. It is the default: smaller and faster than JSON.
	SocketProtobuf SocketFormat = iota
	// SocketJSON sends and receives text frames in the protojson form the
	// server writes (proto field names, int64 values as strings, bytes as
	// base64). The server uses it when the format parameter is absent.
	SocketJSON
)

// String returns the format as the format query parameter spells it.
func (f SocketFormat) String() string { return f.wire().String() }

func (f SocketFormat) wire() wire.Format {
	if f == SocketJSON {
		return wire.JSON
	}
	return wire.Protobuf
}

// SocketConnectParams says where and how a SocketAdapter connects.
type SocketConnectParams struct {
	// Endpoint is the socket's address without a query:
	// ws://host:port/ws, or wss:// for a server behind TLS.
	Endpoint string
	// Token is the session token. It travels in the token query parameter,
	// the only place a browser can put it; an adapter must keep it out of
	// every error and log line.
	Token string
	// Format is the wire format, and so the frame type: binary for
	// protobuf, text for JSON.
	Format SocketFormat
	// AppearOnline makes the user's presence visible to followers
	// (status=true).
	AppearOnline bool
	// Lang is the user's language tag; empty leaves the server's default,
	// "en".
	Lang string
}

// URL returns the address to dial, query included. It holds the token: do
// not log it.
func (p *SocketConnectParams) URL() string {
	q := url.Values{}
	q.Set("token", p.Token)
	q.Set("format", p.Format.String())
	if p.AppearOnline {
		q.Set("status", "true")
	} else {
		q.Set("status", "false")
	}
	if p.Lang != "" {
		q.Set("lang", p.Lang)
	}
	return p.Endpoint + "?" + q.Encode()
}

// SocketAdapterHandler receives what a SocketAdapter reports about one
// connection. The adapter calls it from a single goroutine, one call at a
// time, in the order things happen; the calls must return quickly, because
// the adapter reads nothing more until they do.
type SocketAdapterHandler interface {
	// OnFrame receives one message from the server. frame is valid only
	// during the call.
	OnFrame(frame []byte)
	// OnError reports a problem the connection survives.
	OnError(err error)
	// OnClose reports the end of the connection, exactly once, after the
	// last OnFrame: err says why (a *CloseError when the server sent a
	// close frame, the read error otherwise, ErrSocketClosed after a local
	// Close).
	OnClose(err error)
}

// SocketAdapter is one WebSocket connection at a time, bytes in and bytes
// out: the seam between WebSocket and a WebSocket implementation (the
// default WebSocketAdapter, or a test double). It knows nothing of envelopes.
//
// Connect dials and returns once the handshake is done (the connect event);
// ctx bounds only the handshake. From then on the adapter reads on a
// goroutine of its own and reports through h until it calls h.OnClose. A
// failed Connect calls no handler method. Connect may be called again after
// the previous connection closed.
//
// Send writes each frame as one message, in order, of the type the format
// calls for. It returns once they are written, or with the error that
// stopped it; it does not keep frames after it returns. Only one Send runs
// at a time. frames is everything the socket's writer found queued in one
// turn, so an adapter that can should put them on the wire together (one
// write for the batch), not flush after each. If ctx ends during a write the adapter may close the
// connection (coder/websocket does), so WebSocket passes a context that
// never ends and relies on Close to unblock a stuck write.
//
// Close performs a close handshake (bounded in time) and CloseNow drops the
// connection at once. Both are idempotent, may run while Send is blocked
// (which they unblock), and return only after the adapter's goroutines have
// exited and h.OnClose has returned. They must not be called from a handler
// method, which runs on the goroutine they wait for.
type SocketAdapter interface {
	Connect(ctx context.Context, p *SocketConnectParams, h SocketAdapterHandler) error
	Send(ctx context.Context, frames [][]byte) error
	Close() error
	CloseNow() error
}
