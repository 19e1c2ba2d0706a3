package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/rtapi"
)

// JoinChat joins a chat channel and returns it, with the users present.
// target is the room name (rtapi.ChannelJoin_ROOM), the group id
// (rtapi.ChannelJoin_GROUP) or the other user's id
// (rtapi.ChannelJoin_DIRECT_MESSAGE). Messages then arrive through
// OnChannelMessage, joins and leaves through OnChannelPresence. opts may be
// nil.
func (s *WebSocket) JoinChat(ctx context.Context, target string, typ rtapi.ChannelJoin_Type, opts *JoinChatOptions) (*rtapi.Channel, error) {
	w, err := sockAsk[*rtapi.Envelope_Channel](ctx, s, "JoinChat", sockJoinChatEnvelope(target, typ, opts))
	if err != nil {
		return nil, err
	}
	s.track.chatJoined(w.Channel.GetId(), target, typ, opts)
	return w.Channel, nil
}

// LeaveChat leaves the chat channel channelID.
func (s *WebSocket) LeaveChat(ctx context.Context, channelID string) error {
	err := sockAskEmpty(ctx, s, "LeaveChat", &rtapi.Envelope{Message: &rtapi.Envelope_ChannelLeave{
		ChannelLeave: &rtapi.ChannelLeave{ChannelId: channelID}}})
	if err == nil {
		s.track.chatLeft(channelID)
	}
	return err
}

// WriteChatMessage sends content, a JSON object, to the chat channel
// channelID and returns the server's receipt.
func (s *WebSocket) WriteChatMessage(ctx context.Context, channelID, content string) (*rtapi.ChannelMessageAck, error) {
	return sockChatAck(ctx, s, "WriteChatMessage", &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageSend{
		ChannelMessageSend: &rtapi.ChannelMessageSend{ChannelId: channelID, Content: content}}})
}

// UpdateChatMessage replaces the content of the user's message messageID in
// the chat channel channelID.
func (s *WebSocket) UpdateChatMessage(ctx context.Context, channelID, messageID, content string) (*rtapi.ChannelMessageAck, error) {
	return sockChatAck(ctx, s, "UpdateChatMessage", &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageUpdate{
		ChannelMessageUpdate: &rtapi.ChannelMessageUpdate{ChannelId: channelID, MessageId: messageID, Content: content}}})
}

// RemoveChatMessage removes the user's message messageID from the chat
// channel channelID.
func (s *WebSocket) RemoveChatMessage(ctx context.Context, channelID, messageID string) (*rtapi.ChannelMessageAck, error) {
	return sockChatAck(ctx, s, "RemoveChatMessage", &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageRemove{
		ChannelMessageRemove: &rtapi.ChannelMessageRemove{ChannelId: channelID, MessageId: messageID}}})
}

func sockChatAck(ctx context.Context, s *WebSocket, op string, env *rtapi.Envelope) (*rtapi.ChannelMessageAck, error) {
	w, err := sockAsk[*rtapi.Envelope_ChannelMessageAck](ctx, s, op, env)
	if err != nil {
		return nil, err
	}
	return w.ChannelMessageAck, nil
}
