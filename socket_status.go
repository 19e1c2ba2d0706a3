package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/rtapi"
)

// FollowUsers subscribes to the status of users named by id or username,
// and returns the statuses of those online now. Changes then arrive through
// OnStatusPresence.
func (s *WebSocket) FollowUsers(ctx context.Context, userIDs, usernames []string) (*rtapi.Status, error) {
	w, err := sockAsk[*rtapi.Envelope_Status](ctx, s, "FollowUsers", sockFollowEnvelope(userIDs, usernames))
	if err != nil {
		return nil, err
	}
	s.track.followed(userIDs, usernames)
	return w.Status, nil
}

// UnfollowUsers ends the status subscriptions to userIDs.
func (s *WebSocket) UnfollowUsers(ctx context.Context, userIDs []string) error {
	err := sockAskEmpty(ctx, s, "UnfollowUsers", &rtapi.Envelope{Message: &rtapi.Envelope_StatusUnfollow{
		StatusUnfollow: &rtapi.StatusUnfollow{UserIds: userIDs}}})
	if err == nil {
		s.track.unfollowed(userIDs)
	}
	return err
}

// UpdateStatus sets the status followers see: the user appears online with
// *status (which may be empty), or offline when status is nil. Ptr makes
// the pointer.
func (s *WebSocket) UpdateStatus(ctx context.Context, status *string) error {
	err := sockAskEmpty(ctx, s, "UpdateStatus", sockStatusEnvelope(status))
	if err == nil {
		s.track.statusUpdated(status)
	}
	return err
}
