package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// ListNotifications implements Client.
func (c *DefaultClient) ListNotifications(ctx context.Context, s *Session, opts *ListNotificationsOptions) (*api.NotificationList, error) {
	var o ListNotificationsOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.NotificationList](ctx, c, "ListNotifications", s, &api.ListNotificationsRequest{
		Limit: limit32(o.Limit), CacheableCursor: o.CacheableCursor})
}

// DeleteNotifications implements Client.
func (c *DefaultClient) DeleteNotifications(ctx context.Context, s *Session, ids ...string) error {
	return callEmpty(ctx, c, "DeleteNotifications", s, &api.DeleteNotificationsRequest{Ids: ids})
}

// ListChannelMessages implements Client.
func (c *DefaultClient) ListChannelMessages(ctx context.Context, s *Session, channelID string, opts *ListChannelMessagesOptions) (*api.ChannelMessageList, error) {
	var o ListChannelMessagesOptions
	if opts != nil {
		o = *opts
	}
	req := &api.ListChannelMessagesRequest{ChannelId: channelID, Limit: limit32(o.Limit), Cursor: o.Cursor}
	if o.Backward {
		req.Forward = wrapperspb.Bool(false)
	}
	return call[*api.ChannelMessageList](ctx, c, "ListChannelMessages", s, req)
}

// ListMatches implements Client.
func (c *DefaultClient) ListMatches(ctx context.Context, s *Session, opts *ListMatchesOptions) (*api.MatchList, error) {
	var o ListMatchesOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.MatchList](ctx, c, "ListMatches", s, &api.ListMatchesRequest{Limit: limit32(o.Limit),
		Authoritative: optBool(o.Authoritative), Label: optNonEmpty(o.Label), MinSize: optInt32(o.MinSize),
		MaxSize: optInt32(o.MaxSize), Query: optNonEmpty(o.Query)})
}

// ListParties implements Client.
func (c *DefaultClient) ListParties(ctx context.Context, s *Session, opts *ListPartiesOptions) (*api.PartyList, error) {
	var o ListPartiesOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.PartyList](ctx, c, "ListParties", s, &api.ListPartiesRequest{Limit: limit32(o.Limit),
		Open: optBool(o.Open), Query: optNonEmpty(o.Query), Cursor: optNonEmpty(o.Cursor)})
}

// GetMatchmakerStats implements Client.
func (c *DefaultClient) GetMatchmakerStats(ctx context.Context, s *Session) (*api.MatchmakerStats, error) {
	return call[*api.MatchmakerStats](ctx, c, "GetMatchmakerStats", s, &emptypb.Empty{})
}

// Event implements Client.
func (c *DefaultClient) Event(ctx context.Context, s *Session, name string, properties map[string]string) error {
	return callEmpty(ctx, c, "Event", s, &api.Event{Name: name, Properties: properties})
}

// RpcFunc implements Client.
func (c *DefaultClient) RpcFunc(ctx context.Context, s *Session, id, payload string) (*api.Rpc, error) {
	if s == nil {
		return nil, &OpError{Op: "RpcFunc", Err: ErrNilSession}
	}
	return call[*api.Rpc](ctx, c, "RpcFunc", s, &api.Rpc{Id: id, Payload: payload})
}

// RpcFuncHTTPKey implements Client.
func (c *DefaultClient) RpcFuncHTTPKey(ctx context.Context, httpKey, id, payload string) (*api.Rpc, error) {
	return call[*api.Rpc](ctx, c, "RpcFunc", nil, &api.Rpc{Id: id, Payload: payload, HttpKey: httpKey})
}

// ValidatePurchaseApple implements Client.
func (c *DefaultClient) ValidatePurchaseApple(ctx context.Context, s *Session, receipt string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error) {
	return call[*api.ValidatePurchaseResponse](ctx, c, "ValidatePurchaseApple", s, &api.ValidatePurchaseAppleRequest{Receipt: receipt, Persist: opts.persist()})
}

// ValidatePurchaseGoogle implements Client.
func (c *DefaultClient) ValidatePurchaseGoogle(ctx context.Context, s *Session, purchase string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error) {
	return call[*api.ValidatePurchaseResponse](ctx, c, "ValidatePurchaseGoogle", s, &api.ValidatePurchaseGoogleRequest{Purchase: purchase, Persist: opts.persist()})
}

// ValidatePurchaseHuawei implements Client.
func (c *DefaultClient) ValidatePurchaseHuawei(ctx context.Context, s *Session, purchase, signature string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error) {
	return call[*api.ValidatePurchaseResponse](ctx, c, "ValidatePurchaseHuawei", s, &api.ValidatePurchaseHuaweiRequest{Purchase: purchase, Signature: signature, Persist: opts.persist()})
}

// ValidatePurchaseFacebookInstant implements Client.
func (c *DefaultClient) ValidatePurchaseFacebookInstant(ctx context.Context, s *Session, signedRequest string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error) {
	return call[*api.ValidatePurchaseResponse](ctx, c, "ValidatePurchaseFacebookInstant", s, &api.ValidatePurchaseFacebookInstantRequest{SignedRequest: signedRequest, Persist: opts.persist()})
}

// ValidatePurchaseSamsung implements Client.
func (c *DefaultClient) ValidatePurchaseSamsung(ctx context.Context, s *Session, purchaseID string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error) {
	return call[*api.ValidatePurchaseResponse](ctx, c, "ValidatePurchaseSamsung", s, &api.ValidatePurchaseSamsungRequest{PurchaseId: purchaseID, Persist: opts.persist()})
}

// ValidateSubscriptionApple implements Client.
func (c *DefaultClient) ValidateSubscriptionApple(ctx context.Context, s *Session, receipt string, opts *ValidatePurchaseOptions) (*api.ValidateSubscriptionResponse, error) {
	return call[*api.ValidateSubscriptionResponse](ctx, c, "ValidateSubscriptionApple", s, &api.ValidateSubscriptionAppleRequest{Receipt: receipt, Persist: opts.persist()})
}

// ValidateSubscriptionGoogle implements Client.
func (c *DefaultClient) ValidateSubscriptionGoogle(ctx context.Context, s *Session, receipt string, opts *ValidatePurchaseOptions) (*api.ValidateSubscriptionResponse, error) {
	return call[*api.ValidateSubscriptionResponse](ctx, c, "ValidateSubscriptionGoogle", s, &api.ValidateSubscriptionGoogleRequest{Receipt: receipt, Persist: opts.persist()})
}

// GetSubscription implements Client.
func (c *DefaultClient) GetSubscription(ctx context.Context, s *Session, productID string) (*api.ValidatedSubscription, error) {
	return call[*api.ValidatedSubscription](ctx, c, "GetSubscription", s, &api.GetSubscriptionRequest{ProductId: productID})
}

// ListSubscriptions implements Client.
func (c *DefaultClient) ListSubscriptions(ctx context.Context, s *Session, opts *ListOptions) (*api.SubscriptionList, error) {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.SubscriptionList](ctx, c, "ListSubscriptions", s, &api.ListSubscriptionsRequest{Limit: limit32(o.Limit), Cursor: o.Cursor})
}
