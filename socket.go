package nakama

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// Socket is a realtime connection to the server: chat, matches, the
// matchmaker, parties, status and RPC, with one context-first method per
// message a client sends, and one handler setter per message the server
// pushes. WebSocket implements it.
//
// A method that expects an answer registers for it before its message is
// sent and returns it (or the server's error, a *SocketError that wraps a
// *Error); cancelling its context drops that answer and leaves the socket
// open, though the message may already have reached the server. When the
// socket closes, every waiting method fails at once with the *CloseError
// (errors.Is(err, ErrSocketClosed)). All methods are safe for concurrent
// use, including from inside handlers.
type Socket interface {
	// Connect opens the socket for session; ctx bounds only the handshake.
	Connect(ctx context.Context, session *Session, opts *ConnectOptions) error
	// Close closes the socket and waits for every goroutine it started.
	Close() error
	// Done is closed once the socket is down for good after Close or a
	// disconnect no reconnect follows.
	Done() <-chan struct{}
	// IsConnected reports whether the socket is open.
	IsConnected() bool
	// Tick runs the handlers of the events received since the last Tick.
	Tick() int

	// JoinChat joins a chat room, group chat or direct chat.
	JoinChat(ctx context.Context, target string, typ rtapi.ChannelJoin_Type, opts *JoinChatOptions) (*rtapi.Channel, error)
	// LeaveChat leaves a chat channel.
	LeaveChat(ctx context.Context, channelID string) error
	// WriteChatMessage sends a message to a chat channel.
	WriteChatMessage(ctx context.Context, channelID, content string) (*rtapi.ChannelMessageAck, error)
	// UpdateChatMessage replaces the content of a message.
	UpdateChatMessage(ctx context.Context, channelID, messageID, content string) (*rtapi.ChannelMessageAck, error)
	// RemoveChatMessage removes a message.
	RemoveChatMessage(ctx context.Context, channelID, messageID string) (*rtapi.ChannelMessageAck, error)

	// CreateMatch creates a relayed match.
	CreateMatch(ctx context.Context, opts *CreateMatchOptions) (*rtapi.Match, error)
	// JoinMatch joins a match by id.
	JoinMatch(ctx context.Context, matchID string, opts *JoinMatchOptions) (*rtapi.Match, error)
	// JoinMatchToken joins the match a matchmaker result names by token.
	JoinMatchToken(ctx context.Context, token string, opts *JoinMatchOptions) (*rtapi.Match, error)
	// LeaveMatch leaves a match.
	LeaveMatch(ctx context.Context, matchID string) error
	// SendMatchData sends data to a match's presences, without an answer.
	SendMatchData(ctx context.Context, matchID string, opCode int64, data []byte, opts *SendMatchDataOptions) error

	// AddMatchmaker starts matchmaking.
	AddMatchmaker(ctx context.Context, query string, minCount, maxCount int, opts *MatchmakerOptions) (*rtapi.MatchmakerTicket, error)
	// RemoveMatchmaker cancels matchmaking.
	RemoveMatchmaker(ctx context.Context, ticket string) error

	// CreateParty creates a party led by the user.
	CreateParty(ctx context.Context, open bool, maxSize int, opts *CreatePartyOptions) (*rtapi.Party, error)
	// JoinParty joins a party, or asks to when it is closed.
	JoinParty(ctx context.Context, partyID string) error
	// LeaveParty leaves a party.
	LeaveParty(ctx context.Context, partyID string) error
	// PromotePartyMember makes a member the party's leader.
	PromotePartyMember(ctx context.Context, partyID string, presence *rtapi.UserPresence) error
	// AcceptPartyMember accepts a request to join.
	AcceptPartyMember(ctx context.Context, partyID string, presence *rtapi.UserPresence) error
	// RemovePartyMember kicks a member or declines a request to join.
	RemovePartyMember(ctx context.Context, partyID string, presence *rtapi.UserPresence) error
	// CloseParty ends a party.
	CloseParty(ctx context.Context, partyID string) error
	// ListPartyJoinRequests lists the pending requests to join.
	ListPartyJoinRequests(ctx context.Context, partyID string) (*rtapi.PartyJoinRequest, error)
	// AddMatchmakerParty starts matchmaking for the whole party.
	AddMatchmakerParty(ctx context.Context, partyID, query string, minCount, maxCount int, opts *MatchmakerOptions) (*rtapi.PartyMatchmakerTicket, error)
	// RemoveMatchmakerParty cancels a party's matchmaking.
	RemoveMatchmakerParty(ctx context.Context, partyID, ticket string) error
	// SendPartyData sends data to the party's members.
	SendPartyData(ctx context.Context, partyID string, opCode int64, data []byte) error
	// UpdateParty sets a party's label, openness and visibility.
	UpdateParty(ctx context.Context, partyID, label string, open bool, opts *UpdatePartyOptions) error

	// FollowUsers subscribes to the status of users.
	FollowUsers(ctx context.Context, userIDs, usernames []string) (*rtapi.Status, error)
	// UnfollowUsers ends status subscriptions.
	UnfollowUsers(ctx context.Context, userIDs []string) error
	// UpdateStatus sets the user's status; nil appears offline.
	UpdateStatus(ctx context.Context, status *string) error

	// RpcFunc calls a server function.
	RpcFunc(ctx context.Context, id, payload string) (*api.Rpc, error)
	// Ping asks the server for a pong.
	Ping(ctx context.Context) error

	// The handlers of what the server pushes; see WebSocket.
	OnConnect(func())
	OnDisconnect(func(err error))
	OnReconnecting(func(*ReconnectAttempt))
	OnReconnected(func(*ReconnectReport))
	OnError(func(err error))
	OnChannelMessage(func(*api.ChannelMessage))
	OnChannelPresence(func(*rtapi.ChannelPresenceEvent))
	OnMatchData(func(*rtapi.MatchData))
	OnMatchPresence(func(*rtapi.MatchPresenceEvent))
	OnMatchmakerMatched(func(*rtapi.MatchmakerMatched))
	OnNotification(func(*api.Notification))
	OnStatusPresence(func(*rtapi.StatusPresenceEvent))
	OnStreamData(func(*rtapi.StreamData))
	OnStreamPresence(func(*rtapi.StreamPresenceEvent))
	OnParty(func(*rtapi.Party))
	OnPartyClose(func(*rtapi.PartyClose))
	OnPartyData(func(*rtapi.PartyData))
	OnPartyJoinRequest(func(*rtapi.PartyJoinRequest))
	OnPartyLeader(func(*rtapi.PartyLeader))
	OnPartyPresence(func(*rtapi.PartyPresenceEvent))
	OnPartyMatchmakerTicket(func(*rtapi.PartyMatchmakerTicket))
	OnPartyUpdate(func(*rtapi.PartyUpdate))
}

// Defaults of SocketOptions and KeepaliveConfig.
const (
	// DefaultEventQueueSize is how many received events wait for their
	// handlers before the queue counts as full.
	DefaultEventQueueSize = 1024
	// DefaultEventQueueBytes is how many bytes of received frames the
	// event queue holds before it counts as full: 16 MiB, four of the
	// largest messages a WebSocketAdapter reads by default.
	DefaultEventQueueBytes = 16 << 20
	// DefaultWriteQueueSize is how many frames may wait to be written
	// before senders block.
	DefaultWriteQueueSize = 256
	// DefaultMaxRequestsInFlight is how many requests may wait for their
	// answers at once: half the server's socket.outgoing_queue_size (64 by
	// default), whose overflow closes the connection, leaving room for
	// the events the server pushes meanwhile.
	DefaultMaxRequestsInFlight = 32
	// DefaultRequestTimeout is how long a request waits for its answer
	// when its context allows longer: 10 s, as nakama-js's socket
	// (DefaultSendTimeoutMs).
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMaxMessageSize is the largest frame the server reads from a
	// client by default (its socket.max_message_size_bytes); it closes the
	// connection of a client that sends a larger one.
	DefaultMaxMessageSize = 4096
	// DefaultKeepaliveInterval is how long the socket waits after a pong
	// before it pings again.
	DefaultKeepaliveInterval = 5 * time.Second
	// DefaultKeepaliveTimeout is how long a ping may go unanswered.
	DefaultKeepaliveTimeout = 10 * time.Second
)

// KeepaliveConfig is the socket's heartbeat: an application-level ping
// (rtapi.Ping, answered by rtapi.Pong) that proves the server is still
// there, which the WebSocket-level pings the server sends cannot prove to
// the client. A connection that stops answering is closed and reported as
// a disconnect no later than Interval+Timeout after the last pong (15 s by
// default). The heartbeats of all sockets share one timer and one
// goroutine.
type KeepaliveConfig struct {
	// Interval is the wait between a pong and the next ping. Default
	// DefaultKeepaliveInterval.
	Interval time.Duration
	// Timeout is how long a ping may wait for its pong, its send included.
	// Default DefaultKeepaliveTimeout.
	Timeout time.Duration
	// Disable turns the heartbeat off: a dead connection is then noticed
	// only when a write fails, which may take minutes.
	Disable bool
}

func (k KeepaliveConfig) withDefaults() KeepaliveConfig {
	if k.Interval <= 0 {
		k.Interval = DefaultKeepaliveInterval
	}
	if k.Timeout <= 0 {
		k.Timeout = DefaultKeepaliveTimeout
	}
	return k
}

// SocketOptions configures a WebSocket. The zero value is ready to use.
type SocketOptions struct {
	// Format is the wire format. Default SocketProtobuf.
	Format SocketFormat
	// Adapter is the connection the socket speaks through. Default: a
	// WebSocketAdapter with default options. The socket owns it: do not
	// share one adapter between sockets.
	Adapter SocketAdapter
	// Client, when set, refreshes the session before Connect (and before
	// each reconnect) when its token is about to expire, and after the
	// server refused it during a reconnect. DefaultClient.NewSocket sets
	// it. Without it, Connect with an expired session fails with
	// ErrSessionExpired before dialing.
	Client Client
	// Keepalive is the heartbeat; its zero fields take the defaults.
	Keepalive KeepaliveConfig
	// Reconnect, when set, turns automatic reconnection on (its zero
	// fields take DefaultReconnect's values); nil leaves it off. See
	// ReconnectConfig.
	Reconnect *ReconnectConfig
	// AutoDispatch runs handlers on a goroutine of the socket, one at a
	// time, in arrival order, instead of on the goroutine that calls Tick.
	// Tick then does nothing. With the native WebSocketAdapter that is the
	// read goroutine itself, while it is free (see WebSocket's doc).
	AutoDispatch bool
	// EventQueueSize bounds the received events that wait for their
	// handlers. When the queue is full (by count, or by bytes: see
	// EventQueueBytes), the newest event is dropped and counted; the read
	// loop never waits. The count is reported to OnError as an error
	// wrapping ErrEventQueueFull before the next event that fits, at the
	// next Tick or dispatcher turn even if no event comes, and at the
	// latest just before the connection's disconnect: it always belongs to
	// the connection whose events it counts. Default DefaultEventQueueSize.
	EventQueueSize int
	// EventQueueBytes bounds the bytes of received frames (as sent, before
	// decoding) waiting for their handlers; an event that does not fit is
	// dropped as above, except into an empty queue, which always takes
	// one. Default DefaultEventQueueBytes.
	EventQueueBytes int
	// DisconnectOnQueueFull closes the connection instead of dropping an
	// event when the event queue is full, as the server does with a client
	// too slow to read; the disconnect reports ErrEventQueueFull.
	DisconnectOnQueueFull bool
	// WriteQueueSize bounds the frames waiting to be written; a sender
	// waits (within its context) while it is full. Default
	// DefaultWriteQueueSize. The queue grows as frames come; an idle
	// socket holds none.
	WriteQueueSize int
	// MaxRequestsInFlight bounds the requests waiting for their answers on
	// one connection; a further request waits for a slot within its
	// context. Keep it below the server's socket.outgoing_queue_size. The
	// heartbeat's ping does not count. Default DefaultMaxRequestsInFlight;
	// negative for no bound.
	MaxRequestsInFlight int
	// RequestTimeout bounds how long a request waits for its answer, its
	// wait for a slot and for room in the write queue excluded; a request
	// whose answer does not come in time fails with ErrRequestTimeout and
	// the socket stays open. The request's context may end it sooner.
	// Default DefaultRequestTimeout; negative for none.
	RequestTimeout time.Duration
	// MaxMessageSize is the largest frame the socket sends: a larger
	// message fails with ErrMessageTooBig without being sent, rather than
	// make the server drop the connection. Default DefaultMaxMessageSize;
	// raise it to the server's socket.max_message_size_bytes, or set it
	// negative for no limit.
	MaxMessageSize int
	// Logger receives errors no OnError handler took (a handler's panic,
	// for instance). No token is ever logged. Default: no logging.
	Logger *Logger
}

// withDefaults fills in the zero fields; the Reconnect config is copied.
func (o SocketOptions) withDefaults() SocketOptions {
	o.Keepalive = o.Keepalive.withDefaults()
	if o.EventQueueSize <= 0 {
		o.EventQueueSize = DefaultEventQueueSize
	}
	if o.EventQueueBytes <= 0 {
		o.EventQueueBytes = DefaultEventQueueBytes
	}
	if o.WriteQueueSize <= 0 {
		o.WriteQueueSize = DefaultWriteQueueSize
	}
	if o.MaxRequestsInFlight == 0 {
		o.MaxRequestsInFlight = DefaultMaxRequestsInFlight
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.Reconnect != nil {
		r := o.Reconnect.withDefaults()
		o.Reconnect = &r
	}
	return o
}

// ConnectOptions are the optional parameters of Connect.
type ConnectOptions struct {
	// AppearOnline shows the user as online to the users who follow them,
	// with an empty status, until UpdateStatus says otherwise.
	AppearOnline bool
	// Lang is the user's language tag, such as "en" or "pt-BR"; empty
	// leaves the server's default, "en".
	Lang string
}

// JoinChatOptions are the optional parameters of JoinChat.
type JoinChatOptions struct {
	// Persistence, when set, says whether messages sent to the channel are
	// stored in its history; nil leaves the server's default (stored).
	Persistence *bool
	// Hidden keeps the user out of the channel's presence list and events.
	Hidden bool
}

// CreateMatchOptions are the optional parameters of CreateMatch.
type CreateMatchOptions struct {
	// Name makes the match id derive from it, so that every user who
	// creates a match with the same name joins the same match.
	Name string
}

// JoinMatchOptions are the optional parameters of JoinMatch and
// JoinMatchToken.
type JoinMatchOptions struct {
	// Metadata is passed to an authoritative match's join attempt handler.
	Metadata map[string]string
}

// SendMatchDataOptions are the optional parameters of SendMatchData.
type SendMatchDataOptions struct {
	// Presences limits delivery to these match members; nil sends to all.
	Presences []*rtapi.UserPresence
	// Unreliable marks the data as droppable for transports that
	// distinguish; over a WebSocket everything arrives in order anyway.
	Unreliable bool
}

// MatchmakerOptions are the optional parameters of AddMatchmaker and
// AddMatchmakerParty.
type MatchmakerOptions struct {
	// StringProperties and NumericProperties describe the user (or party)
	// to the queries of others.
	StringProperties  map[string]string
	NumericProperties map[string]float64
	// CountMultiple, when set, makes the matched count a multiple of it.
	CountMultiple int
}

// CreatePartyOptions are the optional parameters of CreateParty.
type CreatePartyOptions struct {
	// Label is shown in party listings.
	Label string
	// Hidden keeps the party out of listings.
	Hidden bool
}

// UpdatePartyOptions are the optional parameters of UpdateParty.
type UpdatePartyOptions struct {
	// Hidden keeps the party out of listings.
	Hidden bool
}

// ErrSocketClosed is matched by every error that reports the end of a
// socket connection (a *CloseError), and by a request made while the socket
// is not connected.
var ErrSocketClosed = errors.New("nakama: socket closed")

// ErrHeartbeatTimeout is the cause a *CloseError carries when the server
// stopped answering the socket's pings.
var ErrHeartbeatTimeout = errors.New("nakama: socket heartbeat timed out")

// ErrEventQueueFull is wrapped by the error event that reports dropped
// events, and is the cause of a disconnect under DisconnectOnQueueFull.
var ErrEventQueueFull = errors.New("nakama: socket event queue full")

// ErrRequestTimeout is returned by a request whose answer did not come
// within SocketOptions.RequestTimeout; the socket stays open. It matches
// context.DeadlineExceeded, so Timeout(err) is true.
var ErrRequestTimeout = fmt.Errorf("nakama: socket request timed out (%w)", context.DeadlineExceeded)

// ErrReconnecting is matched by the *CloseError of a connection lost while
// SocketOptions.Reconnect is on (the requests it fails may be sent again
// once the socket has reconnected), and is returned under
// ReconnectConfig.FailFast by a request made while the socket reconnects.
var ErrReconnecting = errors.New("nakama: socket reconnecting")

// ErrMessageTooBig is returned for a message larger than
// SocketOptions.MaxMessageSize; it was not sent.
var ErrMessageTooBig = errors.New("nakama: socket message too big")

// ErrHandlerPanic is wrapped by the error event that reports a handler's
// panic; the message holds the panic value and the stack.
var ErrHandlerPanic = errors.New("nakama: socket handler panicked")

// WebSocket close codes this package uses.
const (
	sockCloseNormal   = 1000
	sockCloseAbnormal = 1006 // nothing was exchanged: the link failed or was dropped
	sockClosePolicy   = 1008
)

// CloseError reports the end of a socket connection: to requests that were
// waiting, to the OnDisconnect handler, and to requests made afterwards. It
// matches ErrSocketClosed.
type CloseError struct {
	// Code is the WebSocket close code: the server's when it sent a close
	// frame, 1000 after Close, 1006 when the connection was lost or dropped
	// without one.
	Code int
	// Reason is the close reason: the server's, if it gave one, or
	// "closed by the client" after Close.
	Reason string
	// Err is the local cause, when there is one: ErrHeartbeatTimeout,
	// ErrEventQueueFull, or the read or write error that ended the link.
	Err error
	// Reconnecting is set when the socket reconnects after this end
	// (SocketOptions.Reconnect); the error then matches ErrReconnecting.
	Reconnecting bool
}

func (e *CloseError) Error() string {
	s := "nakama: socket closed"
	if e.Code != 0 {
		s += ": code " + strconv.Itoa(e.Code)
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.Err != nil {
		s += ": " + trimPrefix(e.Err.Error())
	}
	if e.Reconnecting {
		s += "; reconnecting"
	}
	return s
}

// Is makes every *CloseError match ErrSocketClosed, and ErrReconnecting when
// a reconnect follows.
func (e *CloseError) Is(target error) bool {
	return target == ErrSocketClosed || (target == ErrReconnecting && e.Reconnecting)
}

// Unwrap returns the local cause.
func (e *CloseError) Unwrap() error { return e.Err }

// CloseStatus returns the close code of the *CloseError that err wraps, or
// -1 when it wraps none.
func CloseStatus(err error) int {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// SocketError is an error envelope the server sent on the socket: the
// answer to a request that failed, or an OnError event (a failed
// SendMatchData, for instance). It wraps the *Error its code maps to, so
// errors.As(err, &e) with e a *Error, CodeOf and errors.Is(err, ErrNotFound)
// work as they do for REST.
//
// Realtime error codes are not gRPC codes; they map as follows:
//
//	RUNTIME_EXCEPTION           Internal
//	UNRECOGNIZED_PAYLOAD        Unimplemented
//	MISSING_PAYLOAD, BAD_INPUT  InvalidArgument
//	MATCH_NOT_FOUND             NotFound
//	MATCH_JOIN_REJECTED         PermissionDenied
//	RUNTIME_FUNCTION_NOT_FOUND  NotFound (as the REST RPC route answers)
//	RUNTIME_FUNCTION_EXCEPTION  Unknown (the function's own code is not sent)
//	any other                   Unknown
type SocketError struct {
	// Code is the realtime code, as sent.
	Code rtapi.Error_Code
	// Message is the server's message, as sent.
	Message string
	// Context is the envelope's extra detail, if any.
	Context map[string]string
}

func (e *SocketError) Error() string {
	s := "nakama: " + socketErrorCode(e.Code).String()
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + " (realtime " + e.Code.String() + ")"
}

// Unwrap returns the *Error the code maps to.
func (e *SocketError) Unwrap() error {
	return &Error{Code: socketErrorCode(e.Code), Message: e.Message}
}

func socketErrorCode(c rtapi.Error_Code) Code {
	switch c {
	case rtapi.Error_RUNTIME_EXCEPTION:
		return Internal
	case rtapi.Error_UNRECOGNIZED_PAYLOAD:
		return Unimplemented
	case rtapi.Error_MISSING_PAYLOAD, rtapi.Error_BAD_INPUT:
		return InvalidArgument
	case rtapi.Error_MATCH_NOT_FOUND, rtapi.Error_RUNTIME_FUNCTION_NOT_FOUND:
		return NotFound
	case rtapi.Error_MATCH_JOIN_REJECTED:
		return PermissionDenied
	}
	return Unknown
}

func newSocketError(e *rtapi.Error) *SocketError {
	return &SocketError{Code: rtapi.Error_Code(e.GetCode()), Message: e.GetMessage(), Context: e.GetContext()}
}

// unexpectedReply describes an answer of the wrong type.
func sockUnexpectedReply(env *rtapi.Envelope) error {
	if env.Message == nil {
		return fmt.Errorf("%w: empty answer", ErrBadResponse)
	}
	return fmt.Errorf("%w: unexpected answer %T", ErrBadResponse, env.Message)
}
