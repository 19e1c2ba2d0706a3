package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/api"
)

// CreateGroup implements Client.
func (c *DefaultClient) CreateGroup(ctx context.Context, s *Session, name string, opts *CreateGroupOptions) (*api.Group, error) {
	var o CreateGroupOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.Group](ctx, c, "CreateGroup", s, &api.CreateGroupRequest{Name: name, Description: o.Description,
		LangTag: o.LangTag, AvatarUrl: o.AvatarURL, Open: o.Open, MaxCount: int32(o.MaxCount)})
}

// UpdateGroup implements Client.
func (c *DefaultClient) UpdateGroup(ctx context.Context, s *Session, groupID string, opts *UpdateGroupOptions) error {
	var o UpdateGroupOptions
	if opts != nil {
		o = *opts
	}
	return callEmpty(ctx, c, "UpdateGroup", s, &api.UpdateGroupRequest{GroupId: groupID, Name: optString(o.Name),
		Description: optString(o.Description), LangTag: optString(o.LangTag), AvatarUrl: optString(o.AvatarURL), Open: optBool(o.Open)})
}

// DeleteGroup implements Client.
func (c *DefaultClient) DeleteGroup(ctx context.Context, s *Session, groupID string) error {
	return callEmpty(ctx, c, "DeleteGroup", s, &api.DeleteGroupRequest{GroupId: groupID})
}

// JoinGroup implements Client.
func (c *DefaultClient) JoinGroup(ctx context.Context, s *Session, groupID string) error {
	return callEmpty(ctx, c, "JoinGroup", s, &api.JoinGroupRequest{GroupId: groupID})
}

// LeaveGroup implements Client.
func (c *DefaultClient) LeaveGroup(ctx context.Context, s *Session, groupID string) error {
	return callEmpty(ctx, c, "LeaveGroup", s, &api.LeaveGroupRequest{GroupId: groupID})
}

// AddGroupUsers implements Client.
func (c *DefaultClient) AddGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error {
	return callEmpty(ctx, c, "AddGroupUsers", s, &api.AddGroupUsersRequest{GroupId: groupID, UserIds: userIDs})
}

// BanGroupUsers implements Client.
func (c *DefaultClient) BanGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error {
	return callEmpty(ctx, c, "BanGroupUsers", s, &api.BanGroupUsersRequest{GroupId: groupID, UserIds: userIDs})
}

// KickGroupUsers implements Client.
func (c *DefaultClient) KickGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error {
	return callEmpty(ctx, c, "KickGroupUsers", s, &api.KickGroupUsersRequest{GroupId: groupID, UserIds: userIDs})
}

// PromoteGroupUsers implements Client.
func (c *DefaultClient) PromoteGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error {
	return callEmpty(ctx, c, "PromoteGroupUsers", s, &api.PromoteGroupUsersRequest{GroupId: groupID, UserIds: userIDs})
}

// DemoteGroupUsers implements Client.
func (c *DefaultClient) DemoteGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error {
	return callEmpty(ctx, c, "DemoteGroupUsers", s, &api.DemoteGroupUsersRequest{GroupId: groupID, UserIds: userIDs})
}

// ListGroups implements Client.
func (c *DefaultClient) ListGroups(ctx context.Context, s *Session, opts *ListGroupsOptions) (*api.GroupList, error) {
	var o ListGroupsOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.GroupList](ctx, c, "ListGroups", s, &api.ListGroupsRequest{Name: o.Name, Cursor: o.Cursor,
		Limit: limit32(o.Limit), LangTag: o.LangTag, Members: limit32(o.Members), Open: optBool(o.Open)})
}

// ListGroupUsers implements Client.
func (c *DefaultClient) ListGroupUsers(ctx context.Context, s *Session, groupID string, opts *ListGroupUsersOptions) (*api.GroupUserList, error) {
	var o ListGroupUsersOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.GroupUserList](ctx, c, "ListGroupUsers", s, &api.ListGroupUsersRequest{GroupId: groupID,
		Limit: limit32(o.Limit), State: optState(o.State), Cursor: o.Cursor})
}

// ListUserGroups implements Client.
func (c *DefaultClient) ListUserGroups(ctx context.Context, s *Session, userID string, opts *ListUserGroupsOptions) (*api.UserGroupList, error) {
	var o ListUserGroupsOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.UserGroupList](ctx, c, "ListUserGroups", s, &api.ListUserGroupsRequest{UserId: userID,
		Limit: limit32(o.Limit), State: optState(o.State), Cursor: o.Cursor})
}
