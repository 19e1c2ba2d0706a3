package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// FollowUsers subscribes to the status of users named by id or username,
// and returns the statuses of those online now. Changes then arrive through
// OnStatusPresence.
func (s *WebSocket) FollowUsers(ctx context.Context, userIDs, usernames []string) (*rtapi.Status, error) {
	w, err := sockAsk[*rtapi.Envelope_Status](ctx, s, "FollowUsers", &rtapi.Envelope{Message: &rtapi.Envelope_StatusFollow{
		StatusFollow: &rtapi.StatusFollow{UserIds: userIDs, Usernames: usernames}}})
	if err != nil {
		return nil, err
	}
	return w.Status, nil
}

// UnfollowUsers ends the status subscriptions to userIDs.
func (s *WebSocket) UnfollowUsers(ctx context.Context, userIDs []string) error {
	return sockAskEmpty(ctx, s, "UnfollowUsers", &rtapi.Envelope{Message: &rtapi.Envelope_StatusUnfollow{
		StatusUnfollow: &rtapi.StatusUnfollow{UserIds: userIDs}}})
}

// UpdateStatus sets the status followers see: the user appears online with
// *status (which may be empty), or offline when status is nil. Ptr makes
// the pointer.
func (s *WebSocket) UpdateStatus(ctx context.Context, status *string) error {
	m := &rtapi.StatusUpdate{}
	if status != nil {
		m.Status = wrapperspb.String(*status)
	}
	return sockAskEmpty(ctx, s, "UpdateStatus", &rtapi.Envelope{Message: &rtapi.Envelope_StatusUpdate{StatusUpdate: m}})
}
