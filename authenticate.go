package nakama

import (
	"context"
	"fmt"
	"github.com/gonakama/nakama/op"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func (o *AuthenticateOptions) create() *wrapperspb.BoolValue {
	if o != nil && o.NoCreate {
		return wrapperspb.Bool(false)
	}
	return wrapperspb.Bool(true)
}

func (o *AuthenticateOptions) username() string {
	if o == nil {
		return ""
	}
	return o.Username
}

func (o *AuthenticateOptions) vars() map[string]string {
	if o == nil {
		return nil
	}
	return o.Vars
}

func (o *AuthenticateOptions) sync() *wrapperspb.BoolValue {
	if o != nil && o.Sync {
		return wrapperspb.Bool(true)
	}
	return nil
}

func (o *LinkOptions) sync() *wrapperspb.BoolValue {
	if o != nil && o.Sync {
		return wrapperspb.Bool(true)
	}
	return nil
}

func (g GameCenter) account(vars map[string]string) *api.AccountGameCenter {
	return &api.AccountGameCenter{PlayerId: g.PlayerID, BundleId: g.BundleID, TimestampSeconds: g.Timestamp,
		Salt: g.Salt, Signature: g.Signature, PublicKeyUrl: g.PublicKeyURL, Vars: vars}
}

// authenticate sends an Authenticate operation and makes a session of the
// answer.
func (c *DefaultClient) authenticate(ctx context.Context, name string, req proto.Message) (*Session, error) {
	a, err := call[*api.Session](ctx, c, name, nil, req)
	if err != nil {
		return nil, err
	}
	s, err := NewSession(a)
	if err != nil {
		return nil, &OpError{Op: name, Err: fmt.Errorf("%w: %w", ErrBadResponse, err)}
	}
	return s, nil
}

// AuthenticateDevice implements Client.
func (c *DefaultClient) AuthenticateDevice(ctx context.Context, id string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateDevice", &api.AuthenticateDeviceRequest{
		Account: &api.AccountDevice{Id: id, Vars: opts.vars()}, Create: opts.create(), Username: opts.username()})
}

// AuthenticateCustom implements Client.
func (c *DefaultClient) AuthenticateCustom(ctx context.Context, id string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateCustom", &api.AuthenticateCustomRequest{
		Account: &api.AccountCustom{Id: id, Vars: opts.vars()}, Create: opts.create(), Username: opts.username()})
}

// AuthenticateEmail implements Client.
func (c *DefaultClient) AuthenticateEmail(ctx context.Context, email, password string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateEmail", &api.AuthenticateEmailRequest{
		Account: &api.AccountEmail{Email: email, Password: password, Vars: opts.vars()}, Create: opts.create(), Username: opts.username()})
}

// AuthenticateApple implements Client.
func (c *DefaultClient) AuthenticateApple(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateApple", &api.AuthenticateAppleRequest{
		Account: &api.AccountApple{Token: token, Vars: opts.vars()}, Create: opts.create(), Username: opts.username()})
}

// AuthenticateFacebook implements Client.
func (c *DefaultClient) AuthenticateFacebook(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateFacebook", &api.AuthenticateFacebookRequest{
		Account: &api.AccountFacebook{Token: token, Vars: opts.vars()}, Create: opts.create(), Username: opts.username(), Sync: opts.sync()})
}

// AuthenticateFacebookInstantGame implements Client.
func (c *DefaultClient) AuthenticateFacebookInstantGame(ctx context.Context, signedPlayerInfo string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateFacebookInstantGame", &api.AuthenticateFacebookInstantGameRequest{
		Account: &api.AccountFacebookInstantGame{SignedPlayerInfo: signedPlayerInfo, Vars: opts.vars()}, Create: opts.create(), Username: opts.username()})
}

// AuthenticateGameCenter implements Client.
func (c *DefaultClient) AuthenticateGameCenter(ctx context.Context, id GameCenter, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateGameCenter", &api.AuthenticateGameCenterRequest{
		Account: id.account(opts.vars()), Create: opts.create(), Username: opts.username()})
}

// AuthenticateGoogle implements Client.
func (c *DefaultClient) AuthenticateGoogle(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateGoogle", &api.AuthenticateGoogleRequest{
		Account: &api.AccountGoogle{Token: token, Vars: opts.vars()}, Create: opts.create(), Username: opts.username()})
}

// AuthenticateSteam implements Client.
func (c *DefaultClient) AuthenticateSteam(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error) {
	return c.authenticate(ctx, "AuthenticateSteam", &api.AuthenticateSteamRequest{
		Account: &api.AccountSteam{Token: token, Vars: opts.vars()}, Create: opts.create(), Username: opts.username(), Sync: opts.sync()})
}

// SessionRefresh implements Client.
func (c *DefaultClient) SessionRefresh(ctx context.Context, s *Session, vars map[string]string) error {
	if s == nil {
		return &OpError{Op: "SessionRefresh", Err: ErrNilSession}
	}
	if s.RefreshToken() == "" {
		return &OpError{Op: "SessionRefresh", Err: ErrSessionExpired}
	}
	if err := c.refreshSession(ctx, s, vars, "", true); err != nil {
		return &OpError{Op: "SessionRefresh", Err: err}
	}
	return nil
}

// SessionLogout implements Client.
func (c *DefaultClient) SessionLogout(ctx context.Context, s *Session) error {
	if s == nil {
		return &OpError{Op: "SessionLogout", Err: ErrNilSession}
	}
	// Logging out must not refresh first: that would mint tokens only to
	// revoke them, so send with the token as it is.
	req := &api.SessionLogoutRequest{Token: s.Token(), RefreshToken: s.RefreshToken()}
	if _, err := c.sendRetrying(ctx, op.Get("SessionLogout"), s, true, req); err != nil {
		return &OpError{Op: "SessionLogout", Err: err}
	}
	return nil
}

// LinkDevice implements Client.
func (c *DefaultClient) LinkDevice(ctx context.Context, s *Session, id string) error {
	return callEmpty(ctx, c, "LinkDevice", s, &api.AccountDevice{Id: id})
}

// LinkCustom implements Client.
func (c *DefaultClient) LinkCustom(ctx context.Context, s *Session, id string) error {
	return callEmpty(ctx, c, "LinkCustom", s, &api.AccountCustom{Id: id})
}

// LinkEmail implements Client.
func (c *DefaultClient) LinkEmail(ctx context.Context, s *Session, email, password string) error {
	return callEmpty(ctx, c, "LinkEmail", s, &api.AccountEmail{Email: email, Password: password})
}

// LinkApple implements Client.
func (c *DefaultClient) LinkApple(ctx context.Context, s *Session, token string) error {
	return callEmpty(ctx, c, "LinkApple", s, &api.AccountApple{Token: token})
}

// LinkFacebook implements Client.
func (c *DefaultClient) LinkFacebook(ctx context.Context, s *Session, token string, opts *LinkOptions) error {
	return callEmpty(ctx, c, "LinkFacebook", s, &api.LinkFacebookRequest{Account: &api.AccountFacebook{Token: token}, Sync: opts.sync()})
}

// LinkFacebookInstantGame implements Client.
func (c *DefaultClient) LinkFacebookInstantGame(ctx context.Context, s *Session, signedPlayerInfo string) error {
	return callEmpty(ctx, c, "LinkFacebookInstantGame", s, &api.AccountFacebookInstantGame{SignedPlayerInfo: signedPlayerInfo})
}

// LinkGameCenter implements Client.
func (c *DefaultClient) LinkGameCenter(ctx context.Context, s *Session, id GameCenter) error {
	return callEmpty(ctx, c, "LinkGameCenter", s, id.account(nil))
}

// LinkGoogle implements Client.
func (c *DefaultClient) LinkGoogle(ctx context.Context, s *Session, token string) error {
	return callEmpty(ctx, c, "LinkGoogle", s, &api.AccountGoogle{Token: token})
}

// LinkSteam implements Client.
func (c *DefaultClient) LinkSteam(ctx context.Context, s *Session, token string, opts *LinkOptions) error {
	return callEmpty(ctx, c, "LinkSteam", s, &api.LinkSteamRequest{Account: &api.AccountSteam{Token: token}, Sync: opts.sync()})
}

// UnlinkDevice implements Client.
func (c *DefaultClient) UnlinkDevice(ctx context.Context, s *Session, id string) error {
	return callEmpty(ctx, c, "UnlinkDevice", s, &api.AccountDevice{Id: id})
}

// UnlinkCustom implements Client.
func (c *DefaultClient) UnlinkCustom(ctx context.Context, s *Session, id string) error {
	return callEmpty(ctx, c, "UnlinkCustom", s, &api.AccountCustom{Id: id})
}

// UnlinkEmail implements Client.
func (c *DefaultClient) UnlinkEmail(ctx context.Context, s *Session, email, password string) error {
	return callEmpty(ctx, c, "UnlinkEmail", s, &api.AccountEmail{Email: email, Password: password})
}

// UnlinkApple implements Client.
func (c *DefaultClient) UnlinkApple(ctx context.Context, s *Session, token string) error {
	return callEmpty(ctx, c, "UnlinkApple", s, &api.AccountApple{Token: token})
}

// UnlinkFacebook implements Client.
func (c *DefaultClient) UnlinkFacebook(ctx context.Context, s *Session, token string) error {
	return callEmpty(ctx, c, "UnlinkFacebook", s, &api.AccountFacebook{Token: token})
}

// UnlinkFacebookInstantGame implements Client.
func (c *DefaultClient) UnlinkFacebookInstantGame(ctx context.Context, s *Session, signedPlayerInfo string) error {
	return callEmpty(ctx, c, "UnlinkFacebookInstantGame", s, &api.AccountFacebookInstantGame{SignedPlayerInfo: signedPlayerInfo})
}

// UnlinkGameCenter implements Client.
func (c *DefaultClient) UnlinkGameCenter(ctx context.Context, s *Session, id GameCenter) error {
	return callEmpty(ctx, c, "UnlinkGameCenter", s, id.account(nil))
}

// UnlinkGoogle implements Client.
func (c *DefaultClient) UnlinkGoogle(ctx context.Context, s *Session, token string) error {
	return callEmpty(ctx, c, "UnlinkGoogle", s, &api.AccountGoogle{Token: token})
}

// UnlinkSteam implements Client.
func (c *DefaultClient) UnlinkSteam(ctx context.Context, s *Session, token string) error {
	return callEmpty(ctx, c, "UnlinkSteam", s, &api.AccountSteam{Token: token})
}

// Healthcheck implements Client.
func (c *DefaultClient) Healthcheck(ctx context.Context) error {
	return callEmpty(ctx, c, "Healthcheck", nil, &emptypb.Empty{})
}
