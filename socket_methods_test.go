//go:build !js

// Not under js/wasm: the socket tests run a WebSocket server in the test
// process, which the browser adapter (the host's WebSocket) cannot reach.

package nakama

import (
	"context"
	"errors"
	"testing"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestSocketMethods calls every Socket request method against the fake
// server, in both formats, and checks the envelope the server received and
// the result the method returned.
func TestSocketMethods(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		f := newSockFakeServer(t, nil)
		s, peer := sockConnect(t, f, &SocketOptions{Format: format, Keepalive: KeepaliveConfig{Disable: true}})
		ctx := sockCtx(t)
		pres := &rtapi.UserPresence{UserId: "u2", SessionId: "s2", Username: "two"}

		cases := []struct {
			name string
			call func() (proto.Message, error)
			// sent is the message the server must receive (cid aside).
			sent *rtapi.Envelope
			// want is the result; nil for methods that return only an error.
			want proto.Message
		}{
			{"JoinChat", func() (proto.Message, error) {
				return s.JoinChat(ctx, "lobby", rtapi.ChannelJoin_ROOM, &JoinChatOptions{Persistence: Ptr(false), Hidden: true})
			}, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelJoin{ChannelJoin: &rtapi.ChannelJoin{
				Target: "lobby", Type: int32(rtapi.ChannelJoin_ROOM), Persistence: wrapperspb.Bool(false), Hidden: wrapperspb.Bool(true)}}},
				&rtapi.Channel{Id: "2.lobby", RoomName: "lobby", Self: &rtapi.UserPresence{UserId: "sock-user", SessionId: "sid", Username: "sockuser"}}},
			{"JoinChatDefaults", func() (proto.Message, error) {
				return s.JoinChat(ctx, "g1", rtapi.ChannelJoin_GROUP, nil)
			}, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelJoin{ChannelJoin: &rtapi.ChannelJoin{Target: "g1", Type: 3}}}, nil},
			{"LeaveChat", func() (proto.Message, error) { return nil, s.LeaveChat(ctx, "2.lobby") },
				&rtapi.Envelope{Message: &rtapi.Envelope_ChannelLeave{ChannelLeave: &rtapi.ChannelLeave{ChannelId: "2.lobby"}}}, nil},
			{"WriteChatMessage", func() (proto.Message, error) { return s.WriteChatMessage(ctx, "c1", `{"a":1}`) },
				&rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageSend{ChannelMessageSend: &rtapi.ChannelMessageSend{ChannelId: "c1", Content: `{"a":1}`}}},
				&rtapi.ChannelMessageAck{ChannelId: "c1", MessageId: "msg-1", Username: "sockuser"}},
			{"UpdateChatMessage", func() (proto.Message, error) { return s.UpdateChatMessage(ctx, "c1", "m9", `{}`) },
				&rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageUpdate{ChannelMessageUpdate: &rtapi.ChannelMessageUpdate{ChannelId: "c1", MessageId: "m9", Content: `{}`}}},
				&rtapi.ChannelMessageAck{ChannelId: "c1", MessageId: "m9"}},
			{"RemoveChatMessage", func() (proto.Message, error) { return s.RemoveChatMessage(ctx, "c1", "m9") },
				&rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageRemove{ChannelMessageRemove: &rtapi.ChannelMessageRemove{ChannelId: "c1", MessageId: "m9"}}},
				&rtapi.ChannelMessageAck{ChannelId: "c1", MessageId: "m9"}},
			{"CreateMatch", func() (proto.Message, error) { return s.CreateMatch(ctx, &CreateMatchOptions{Name: "arena"}) },
				&rtapi.Envelope{Message: &rtapi.Envelope_MatchCreate{MatchCreate: &rtapi.MatchCreate{Name: "arena"}}}, nil},
			{"CreateMatchUnnamed", func() (proto.Message, error) { return s.CreateMatch(ctx, nil) },
				&rtapi.Envelope{Message: &rtapi.Envelope_MatchCreate{MatchCreate: &rtapi.MatchCreate{}}}, nil},
			{"JoinMatch", func() (proto.Message, error) {
				return s.JoinMatch(ctx, "m1.node", &JoinMatchOptions{Metadata: map[string]string{"k": "v"}})
			}, &rtapi.Envelope{Message: &rtapi.Envelope_MatchJoin{MatchJoin: &rtapi.MatchJoin{
				Id: &rtapi.MatchJoin_MatchId{MatchId: "m1.node"}, Metadata: map[string]string{"k": "v"}}}},
				&rtapi.Match{MatchId: "m1.node", Size: 2, Self: &rtapi.UserPresence{UserId: "sock-user", SessionId: "sid", Username: "sockuser"}}},
			{"JoinMatchToken", func() (proto.Message, error) { return s.JoinMatchToken(ctx, "tok", nil) },
				&rtapi.Envelope{Message: &rtapi.Envelope_MatchJoin{MatchJoin: &rtapi.MatchJoin{Id: &rtapi.MatchJoin_Token{Token: "tok"}}}}, nil},
			{"LeaveMatch", func() (proto.Message, error) { return nil, s.LeaveMatch(ctx, "m1.node") },
				&rtapi.Envelope{Message: &rtapi.Envelope_MatchLeave{MatchLeave: &rtapi.MatchLeave{MatchId: "m1.node"}}}, nil},
			{"SendMatchData", func() (proto.Message, error) {
				return nil, s.SendMatchData(ctx, "m1.node", 7, []byte{0, 1, 2, 255}, &SendMatchDataOptions{Presences: []*rtapi.UserPresence{pres}})
			}, &rtapi.Envelope{Message: &rtapi.Envelope_MatchDataSend{MatchDataSend: &rtapi.MatchDataSend{
				MatchId: "m1.node", OpCode: 7, Data: []byte{0, 1, 2, 255}, Presences: []*rtapi.UserPresence{pres}, Reliable: true}}}, nil},
			{"SendMatchDataUnreliable", func() (proto.Message, error) {
				return nil, s.SendMatchData(ctx, "m1.node", -3, nil, &SendMatchDataOptions{Unreliable: true})
			}, &rtapi.Envelope{Message: &rtapi.Envelope_MatchDataSend{MatchDataSend: &rtapi.MatchDataSend{MatchId: "m1.node", OpCode: -3}}}, nil},
			{"AddMatchmaker", func() (proto.Message, error) {
				return s.AddMatchmaker(ctx, "+properties.mode:ranked", 2, 4, &MatchmakerOptions{
					StringProperties: map[string]string{"mode": "ranked"}, NumericProperties: map[string]float64{"skill": 12.5}, CountMultiple: 2})
			}, &rtapi.Envelope{Message: &rtapi.Envelope_MatchmakerAdd{MatchmakerAdd: &rtapi.MatchmakerAdd{
				Query: "+properties.mode:ranked", MinCount: 2, MaxCount: 4, StringProperties: map[string]string{"mode": "ranked"},
				NumericProperties: map[string]float64{"skill": 12.5}, CountMultiple: wrapperspb.Int32(2)}}},
				&rtapi.MatchmakerTicket{Ticket: "ticket-+properties.mode:ranked"}},
			{"RemoveMatchmaker", func() (proto.Message, error) { return nil, s.RemoveMatchmaker(ctx, "t1") },
				&rtapi.Envelope{Message: &rtapi.Envelope_MatchmakerRemove{MatchmakerRemove: &rtapi.MatchmakerRemove{Ticket: "t1"}}}, nil},
			{"CreateParty", func() (proto.Message, error) {
				return s.CreateParty(ctx, true, 4, &CreatePartyOptions{Label: "fun", Hidden: true})
			}, &rtapi.Envelope{Message: &rtapi.Envelope_PartyCreate{PartyCreate: &rtapi.PartyCreate{Open: true, MaxSize: 4, Label: "fun", Hidden: true}}}, nil},
			{"JoinParty", func() (proto.Message, error) { return nil, s.JoinParty(ctx, "p.node") },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyJoin{PartyJoin: &rtapi.PartyJoin{PartyId: "p.node"}}}, nil},
			{"LeaveParty", func() (proto.Message, error) { return nil, s.LeaveParty(ctx, "p.node") },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyLeave{PartyLeave: &rtapi.PartyLeave{PartyId: "p.node"}}}, nil},
			{"PromotePartyMember", func() (proto.Message, error) { return nil, s.PromotePartyMember(ctx, "p.node", pres) },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyPromote{PartyPromote: &rtapi.PartyPromote{PartyId: "p.node", Presence: pres}}}, nil},
			{"AcceptPartyMember", func() (proto.Message, error) { return nil, s.AcceptPartyMember(ctx, "p.node", pres) },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyAccept{PartyAccept: &rtapi.PartyAccept{PartyId: "p.node", Presence: pres}}}, nil},
			{"RemovePartyMember", func() (proto.Message, error) { return nil, s.RemovePartyMember(ctx, "p.node", pres) },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyRemove{PartyRemove: &rtapi.PartyRemove{PartyId: "p.node", Presence: pres}}}, nil},
			{"CloseParty", func() (proto.Message, error) { return nil, s.CloseParty(ctx, "p.node") },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyClose{PartyClose: &rtapi.PartyClose{PartyId: "p.node"}}}, nil},
			{"ListPartyJoinRequests", func() (proto.Message, error) { return s.ListPartyJoinRequests(ctx, "p.node") },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyJoinRequestList{PartyJoinRequestList: &rtapi.PartyJoinRequestList{PartyId: "p.node"}}},
				&rtapi.PartyJoinRequest{PartyId: "p.node", Presences: []*rtapi.UserPresence{{UserId: "asker"}}}},
			{"AddMatchmakerParty", func() (proto.Message, error) { return s.AddMatchmakerParty(ctx, "p.node", "*", 2, 8, nil) },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyMatchmakerAdd{PartyMatchmakerAdd: &rtapi.PartyMatchmakerAdd{
					PartyId: "p.node", Query: "*", MinCount: 2, MaxCount: 8}}},
				&rtapi.PartyMatchmakerTicket{PartyId: "p.node", Ticket: "party-ticket"}},
			{"RemoveMatchmakerParty", func() (proto.Message, error) { return nil, s.RemoveMatchmakerParty(ctx, "p.node", "pt") },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyMatchmakerRemove{PartyMatchmakerRemove: &rtapi.PartyMatchmakerRemove{PartyId: "p.node", Ticket: "pt"}}}, nil},
			{"SendPartyData", func() (proto.Message, error) { return nil, s.SendPartyData(ctx, "p.node", 3, []byte("hi")) },
				&rtapi.Envelope{Message: &rtapi.Envelope_PartyDataSend{PartyDataSend: &rtapi.PartyDataSend{PartyId: "p.node", OpCode: 3, Data: []byte("hi")}}}, nil},
			{"UpdateParty", func() (proto.Message, error) {
				return nil, s.UpdateParty(ctx, "p.node", "new label", false, &UpdatePartyOptions{Hidden: true})
			}, &rtapi.Envelope{Message: &rtapi.Envelope_PartyUpdate{PartyUpdate: &rtapi.PartyUpdate{PartyId: "p.node", Label: "new label", Hidden: true}}}, nil},
			{"FollowUsers", func() (proto.Message, error) { return s.FollowUsers(ctx, []string{"u1"}, []string{"bob"}) },
				&rtapi.Envelope{Message: &rtapi.Envelope_StatusFollow{StatusFollow: &rtapi.StatusFollow{UserIds: []string{"u1"}, Usernames: []string{"bob"}}}},
				&rtapi.Status{Presences: []*rtapi.UserPresence{{UserId: "u1"}, {Username: "bob"}}}},
			{"UnfollowUsers", func() (proto.Message, error) { return nil, s.UnfollowUsers(ctx, []string{"u1"}) },
				&rtapi.Envelope{Message: &rtapi.Envelope_StatusUnfollow{StatusUnfollow: &rtapi.StatusUnfollow{UserIds: []string{"u1"}}}}, nil},
			{"UpdateStatus", func() (proto.Message, error) { return nil, s.UpdateStatus(ctx, Ptr("playing")) },
				&rtapi.Envelope{Message: &rtapi.Envelope_StatusUpdate{StatusUpdate: &rtapi.StatusUpdate{Status: wrapperspb.String("playing")}}}, nil},
			{"UpdateStatusEmpty", func() (proto.Message, error) { return nil, s.UpdateStatus(ctx, Ptr("")) },
				&rtapi.Envelope{Message: &rtapi.Envelope_StatusUpdate{StatusUpdate: &rtapi.StatusUpdate{Status: wrapperspb.String("")}}}, nil},
			{"UpdateStatusOffline", func() (proto.Message, error) { return nil, s.UpdateStatus(ctx, nil) },
				&rtapi.Envelope{Message: &rtapi.Envelope_StatusUpdate{StatusUpdate: &rtapi.StatusUpdate{}}}, nil},
			{"RpcFunc", func() (proto.Message, error) { return s.RpcFunc(ctx, "greet", `{"x":"ü"}`) },
				&rtapi.Envelope{Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{Id: "greet", Payload: `{"x":"ü"}`}}},
				&api.Rpc{Id: "greet", Payload: `echo:{"x":"ü"}`}},
			{"Ping", func() (proto.Message, error) { return nil, s.Ping(ctx) },
				&rtapi.Envelope{Message: &rtapi.Envelope_Ping{Ping: &rtapi.Ping{}}}, nil},
		}
		for _, tc := range cases {
			got, err := tc.call()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			sent := peer.next(t)
			fireAndForget := sent.Cid == ""
			if _, ok := sent.Message.(*rtapi.Envelope_MatchDataSend); ok != fireAndForget {
				t.Errorf("%s: cid %q: want a cid on every request but match data", tc.name, sent.Cid)
			}
			sent.Cid = ""
			if !proto.Equal(sent, tc.sent) {
				t.Errorf("%s: server received\n%v\nwant\n%v", tc.name, sent, tc.sent)
			}
			if tc.want != nil && !proto.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		// The relayed match data came back as events, in order.
		var data []*rtapi.MatchData
		s.OnMatchData(func(md *rtapi.MatchData) { data = append(data, md) })
		sockTickUntil(t, s, func() bool { return len(data) == 2 })
		if data[0].OpCode != 7 || string(data[0].Data) != "\x00\x01\x02\xff" || !data[0].Reliable || data[1].OpCode != -3 || data[1].Reliable {
			t.Errorf("relayed match data: %v", data)
		}
	})
}

// TestSocketServerErrors checks that error envelopes become the request's
// error, as a *SocketError wrapping a *Error, in both formats.
func TestSocketServerErrors(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		f := newSockFakeServer(t, nil)
		s, _ := sockConnect(t, f, &SocketOptions{Format: format})
		ctx := sockCtx(t)

		_, err := s.RpcFunc(ctx, "missing", "")
		var se *SocketError
		if !errors.As(err, &se) || se.Code != rtapi.Error_RUNTIME_FUNCTION_NOT_FOUND || se.Context["k"] != "v" {
			t.Fatalf("missing RPC: %v", err)
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != NotFound || e.Message != "RPC function not found" {
			t.Errorf("missing RPC: *Error %+v", e)
		}
		if !errors.Is(err, ErrNotFound) || CodeOf(err) != NotFound {
			t.Errorf("missing RPC: errors.Is(ErrNotFound) false: %v", err)
		}
		var oe *OpError
		if !errors.As(err, &oe) || oe.Op != "RpcFunc" {
			t.Errorf("missing RPC: not an *OpError for RpcFunc: %v", err)
		}
		if errors.Is(err, ErrSocketClosed) {
			t.Errorf("a server error must not look like a closed socket")
		}

		_, err = s.RpcFunc(ctx, "fail", "")
		if !errors.As(err, &se) || se.Code != rtapi.Error_RUNTIME_FUNCTION_EXCEPTION || CodeOf(err) != Unknown {
			t.Errorf("failing RPC: %v", err)
		}
		// The socket is still usable.
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSocketErrorCodeMapping(t *testing.T) {
	want := map[rtapi.Error_Code]Code{
		rtapi.Error_RUNTIME_EXCEPTION:          Internal,
		rtapi.Error_UNRECOGNIZED_PAYLOAD:       Unimplemented,
		rtapi.Error_MISSING_PAYLOAD:            InvalidArgument,
		rtapi.Error_BAD_INPUT:                  InvalidArgument,
		rtapi.Error_MATCH_NOT_FOUND:            NotFound,
		rtapi.Error_MATCH_JOIN_REJECTED:        PermissionDenied,
		rtapi.Error_RUNTIME_FUNCTION_NOT_FOUND: NotFound,
		rtapi.Error_RUNTIME_FUNCTION_EXCEPTION: Unknown,
		rtapi.Error_Code(99):                   Unknown,
	}
	for rc, c := range want {
		err := error(&SocketError{Code: rc, Message: "m"})
		if CodeOf(err) != c {
			t.Errorf("%v: CodeOf = %v, want %v", rc, CodeOf(err), c)
		}
	}
}

// TestSocketUnexpectedReply: an answer of the wrong type fails the request
// with ErrBadResponse and leaves the socket open.
func TestSocketUnexpectedReply(t *testing.T) {
	f := newSockFakeServer(t, func(p *sockPeer, env *rtapi.Envelope) bool {
		if _, ok := env.Message.(*rtapi.Envelope_MatchCreate); ok {
			sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Pong{Pong: &rtapi.Pong{}}})
			return true
		}
		return false
	})
	s, _ := sockConnect(t, f, nil)
	if _, err := s.CreateMatch(sockCtx(t), nil); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("CreateMatch answered by a pong: %v", err)
	}
	if err := s.Ping(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestSocketMessageTooBig: a message over MaxMessageSize is refused locally
// and the socket stays open.
func TestSocketMessageTooBig(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, _ := sockConnect(t, f, &SocketOptions{MaxMessageSize: 100})
	big := make([]byte, 200)
	if err := s.SendMatchData(sockCtx(t), "m", 1, big, nil); !errors.Is(err, ErrMessageTooBig) {
		t.Errorf("SendMatchData: %v", err)
	}
	if _, err := s.RpcFunc(sockCtx(t), "x", string(big)); !errors.Is(err, ErrMessageTooBig) {
		t.Errorf("RpcFunc: %v", err)
	}
	if err := s.Ping(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestSocketNotConnected(t *testing.T) {
	s, err := NewWebSocket("http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); !errors.Is(err, ErrSocketClosed) {
		t.Errorf("Ping before Connect: %v", err)
	}
	if err := s.SendMatchData(context.Background(), "m", 1, nil, nil); !errors.Is(err, ErrSocketClosed) {
		t.Errorf("SendMatchData before Connect: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close before Connect: %v", err)
	}
	if s.IsConnected() {
		t.Error("IsConnected before Connect")
	}
}
