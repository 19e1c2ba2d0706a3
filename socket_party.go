package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// CreateParty creates a party led by the user and returns it. An open party
// lets users join at once; a closed one makes them ask the leader. maxSize
// bounds the members. opts may be nil.
func (s *WebSocket) CreateParty(ctx context.Context, open bool, maxSize int, opts *CreatePartyOptions) (*rtapi.Party, error) {
	m := &rtapi.PartyCreate{Open: open, MaxSize: int32(maxSize)}
	if opts != nil {
		m.Label = opts.Label
		m.Hidden = opts.Hidden
	}
	w, err := sockAsk[*rtapi.Envelope_Party](ctx, s, "CreateParty", &rtapi.Envelope{Message: &rtapi.Envelope_PartyCreate{PartyCreate: m}})
	if err != nil {
		return nil, err
	}
	s.track.partyJoined(w.Party.GetPartyId())
	return w.Party, nil
}

// JoinParty joins the party partyID, or asks its leader to let the user in
// when it is closed. The party's state arrives through OnParty.
func (s *WebSocket) JoinParty(ctx context.Context, partyID string) error {
	err := sockAskEmpty(ctx, s, "JoinParty", sockPartyJoinEnvelope(partyID))
	if err == nil {
		s.track.partyJoined(partyID)
	}
	return err
}

// LeaveParty leaves the party partyID.
func (s *WebSocket) LeaveParty(ctx context.Context, partyID string) error {
	err := sockAskEmpty(ctx, s, "LeaveParty", &rtapi.Envelope{Message: &rtapi.Envelope_PartyLeave{
		PartyLeave: &rtapi.PartyLeave{PartyId: partyID}}})
	if err == nil {
		s.track.partyGone(partyID)
	}
	return err
}

// PromotePartyMember makes presence, a member, the leader of the party
// partyID. Only the leader may.
func (s *WebSocket) PromotePartyMember(ctx context.Context, partyID string, presence *rtapi.UserPresence) error {
	return sockAskEmpty(ctx, s, "PromotePartyMember", &rtapi.Envelope{Message: &rtapi.Envelope_PartyPromote{
		PartyPromote: &rtapi.PartyPromote{PartyId: partyID, Presence: presence}}})
}

// AcceptPartyMember lets presence, who asked to join, into the party
// partyID. Only the leader may.
func (s *WebSocket) AcceptPartyMember(ctx context.Context, partyID string, presence *rtapi.UserPresence) error {
	return sockAskEmpty(ctx, s, "AcceptPartyMember", &rtapi.Envelope{Message: &rtapi.Envelope_PartyAccept{
		PartyAccept: &rtapi.PartyAccept{PartyId: partyID, Presence: presence}}})
}

// RemovePartyMember kicks presence out of the party partyID, or declines
// their request to join. Only the leader may.
func (s *WebSocket) RemovePartyMember(ctx context.Context, partyID string, presence *rtapi.UserPresence) error {
	return sockAskEmpty(ctx, s, "RemovePartyMember", &rtapi.Envelope{Message: &rtapi.Envelope_PartyRemove{
		PartyRemove: &rtapi.PartyRemove{PartyId: partyID, Presence: presence}}})
}

// CloseParty ends the party partyID, removing every member. Only the leader
// may.
func (s *WebSocket) CloseParty(ctx context.Context, partyID string) error {
	err := sockAskEmpty(ctx, s, "CloseParty", &rtapi.Envelope{Message: &rtapi.Envelope_PartyClose{
		PartyClose: &rtapi.PartyClose{PartyId: partyID}}})
	if err == nil {
		s.track.partyGone(partyID)
	}
	return err
}

// ListPartyJoinRequests returns the pending requests to join the party
// partyID. Only the leader may.
func (s *WebSocket) ListPartyJoinRequests(ctx context.Context, partyID string) (*rtapi.PartyJoinRequest, error) {
	w, err := sockAsk[*rtapi.Envelope_PartyJoinRequest](ctx, s, "ListPartyJoinRequests", &rtapi.Envelope{
		Message: &rtapi.Envelope_PartyJoinRequestList{PartyJoinRequestList: &rtapi.PartyJoinRequestList{PartyId: partyID}}})
	if err != nil {
		return nil, err
	}
	return w.PartyJoinRequest, nil
}

// AddMatchmakerParty starts matchmaking for the whole party partyID, as
// AddMatchmaker does for one user. Only the leader may; the other members
// get the ticket through OnPartyMatchmakerTicket. opts may be nil.
func (s *WebSocket) AddMatchmakerParty(ctx context.Context, partyID, query string, minCount, maxCount int, opts *MatchmakerOptions) (*rtapi.PartyMatchmakerTicket, error) {
	m := &rtapi.PartyMatchmakerAdd{PartyId: partyID, Query: query, MinCount: int32(minCount), MaxCount: int32(maxCount)}
	if opts != nil {
		m.StringProperties = opts.StringProperties
		m.NumericProperties = opts.NumericProperties
		if opts.CountMultiple != 0 {
			m.CountMultiple = wrapperspb.Int32(int32(opts.CountMultiple))
		}
	}
	w, err := sockAsk[*rtapi.Envelope_PartyMatchmakerTicket](ctx, s, "AddMatchmakerParty", &rtapi.Envelope{
		Message: &rtapi.Envelope_PartyMatchmakerAdd{PartyMatchmakerAdd: m}})
	if err != nil {
		return nil, err
	}
	return w.PartyMatchmakerTicket, nil
}

// RemoveMatchmakerParty cancels the party's matchmaking of ticket.
func (s *WebSocket) RemoveMatchmakerParty(ctx context.Context, partyID, ticket string) error {
	return sockAskEmpty(ctx, s, "RemoveMatchmakerParty", &rtapi.Envelope{Message: &rtapi.Envelope_PartyMatchmakerRemove{
		PartyMatchmakerRemove: &rtapi.PartyMatchmakerRemove{PartyId: partyID, Ticket: ticket}}})
}

// SendPartyData sends data with opCode to the other members of the party
// partyID. Unlike match data, the server acknowledges it, so SendPartyData
// waits for that answer.
func (s *WebSocket) SendPartyData(ctx context.Context, partyID string, opCode int64, data []byte) error {
	return sockAskEmpty(ctx, s, "SendPartyData", &rtapi.Envelope{Message: &rtapi.Envelope_PartyDataSend{
		PartyDataSend: &rtapi.PartyDataSend{PartyId: partyID, OpCode: opCode, Data: data}}})
}

// UpdateParty sets the label and openness of the party partyID (and, from
// opts, its visibility in listings; nil makes it visible). Only the leader
// may.
func (s *WebSocket) UpdateParty(ctx context.Context, partyID, label string, open bool, opts *UpdatePartyOptions) error {
	m := &rtapi.PartyUpdate{PartyId: partyID, Label: label, Open: open}
	if opts != nil {
		m.Hidden = opts.Hidden
	}
	return sockAskEmpty(ctx, s, "UpdateParty", &rtapi.Envelope{Message: &rtapi.Envelope_PartyUpdate{PartyUpdate: m}})
}
