package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
)

// GetAccount implements Client.
func (c *DefaultClient) GetAccount(ctx context.Context, s *Session) (*api.Account, error) {
	return call[*api.Account](ctx, c, "GetAccount", s, &emptypb.Empty{})
}

// UpdateAccount implements Client.
func (c *DefaultClient) UpdateAccount(ctx context.Context, s *Session, opts *UpdateAccountOptions) error {
	var o UpdateAccountOptions
	if opts != nil {
		o = *opts
	}
	return callEmpty(ctx, c, "UpdateAccount", s, &api.UpdateAccountRequest{
		Username: optString(o.Username), DisplayName: optString(o.DisplayName), AvatarUrl: optString(o.AvatarURL),
		LangTag: optString(o.LangTag), Location: optString(o.Location), Timezone: optString(o.Timezone)})
}

// DeleteAccount implements Client.
func (c *DefaultClient) DeleteAccount(ctx context.Context, s *Session) error {
	return callEmpty(ctx, c, "DeleteAccount", s, &emptypb.Empty{})
}

// GetUsers implements Client.
func (c *DefaultClient) GetUsers(ctx context.Context, s *Session, ids, usernames, facebookIDs []string) (*api.Users, error) {
	return call[*api.Users](ctx, c, "GetUsers", s, &api.GetUsersRequest{Ids: ids, Usernames: usernames, FacebookIds: facebookIDs})
}

// AddFriends implements Client.
func (c *DefaultClient) AddFriends(ctx context.Context, s *Session, ids, usernames []string, opts *AddFriendsOptions) error {
	req := &api.AddFriendsRequest{Ids: ids, Usernames: usernames}
	if opts != nil {
		req.Metadata = opts.Metadata
	}
	return callEmpty(ctx, c, "AddFriends", s, req)
}

// DeleteFriends implements Client.
func (c *DefaultClient) DeleteFriends(ctx context.Context, s *Session, ids, usernames []string) error {
	return callEmpty(ctx, c, "DeleteFriends", s, &api.DeleteFriendsRequest{Ids: ids, Usernames: usernames})
}

// BlockFriends implements Client.
func (c *DefaultClient) BlockFriends(ctx context.Context, s *Session, ids, usernames []string) error {
	return callEmpty(ctx, c, "BlockFriends", s, &api.BlockFriendsRequest{Ids: ids, Usernames: usernames})
}

// ListFriends implements Client.
func (c *DefaultClient) ListFriends(ctx context.Context, s *Session, opts *ListFriendsOptions) (*api.FriendList, error) {
	var o ListFriendsOptions
	if opts != nil {
		o = *opts
	}
	req := &api.ListFriendsRequest{Limit: limit32(o.Limit), Cursor: o.Cursor}
	req.State = optState(o.State)
	return call[*api.FriendList](ctx, c, "ListFriends", s, req)
}

// ListFriendsOfFriends implements Client.
func (c *DefaultClient) ListFriendsOfFriends(ctx context.Context, s *Session, opts *ListOptions) (*api.FriendsOfFriendsList, error) {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.FriendsOfFriendsList](ctx, c, "ListFriendsOfFriends", s, &api.ListFriendsOfFriendsRequest{Limit: limit32(o.Limit), Cursor: o.Cursor})
}

// ImportFacebookFriends implements Client.
func (c *DefaultClient) ImportFacebookFriends(ctx context.Context, s *Session, token string, opts *ImportFriendsOptions) error {
	return callEmpty(ctx, c, "ImportFacebookFriends", s, &api.ImportFacebookFriendsRequest{Account: &api.AccountFacebook{Token: token}, Reset_: opts.reset()})
}

// ImportSteamFriends implements Client.
func (c *DefaultClient) ImportSteamFriends(ctx context.Context, s *Session, token string, opts *ImportFriendsOptions) error {
	return callEmpty(ctx, c, "ImportSteamFriends", s, &api.ImportSteamFriendsRequest{Account: &api.AccountSteam{Token: token}, Reset_: opts.reset()})
}
