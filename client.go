package nakama

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gonakama/nakama/op"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/proto"
)

// Version is this client's version, sent in the REST User-Agent.
const Version = "0.1.0"

// DefaultRefreshWindow is how close to expiry a session is refreshed before
// an authenticated call, unless ClientOptions.RefreshWindow says otherwise
// or the token lives less than twice as long (see RefreshWindow).
const DefaultRefreshWindow = 5 * time.Minute

// ClientOptions configures a DefaultClient. The zero value is ready to use.
type ClientOptions struct {
	// REST configures the REST adapter NewClient makes; NewClientWithAdapter
	// ignores it.
	REST RESTOptions
	// Retry is the retry policy; its zero fields take DefaultRetry's values.
	Retry RetryConfig
	// DisableRetry sends every call once.
	DisableRetry bool
	// DisableAutoRefresh stops the client from refreshing sessions before
	// authenticated calls and after the server rejects an expired token.
	DisableAutoRefresh bool
	// RefreshWindow: a session is refreshed before an authenticated call
	// when its token has less than RefreshWindow left and less than half of
	// its own lifetime (exp - iat). So Nakama's default 60 s token is
	// refreshed once it is 30 s old, and a 2 h token 5 minutes before it
	// ends. A refresh that fails while the token is still valid does not
	// fail the call: the call goes out with the current token (and a
	// warning is logged); the next call tries again. Default
	// DefaultRefreshWindow.
	RefreshWindow time.Duration
	// OnSessionRefresh is called after the client refreshed a session,
	// automatically or through SessionRefresh, with the session already
	// updated in place, so the application can store its new tokens. It runs
	// on the goroutine that made the call and must not block for long.
	OnSessionRefresh func(*Session)
	// Logger receives a debug line per call attempt, a warning per retry and
	// per failed early refresh. No credential of the call is ever logged,
	// whatever the server answered. Default: no logging.
	Logger *Logger
}

// DefaultClient implements Client over any ClientAdapter. It keeps no state
// of its own between calls (sessions carry theirs), so one DefaultClient is
// safe for concurrent use by any number of goroutines.
type DefaultClient struct {
	adapter ClientAdapter
	opts    ClientOptions
	retry   RetryConfig
}

var _ Client = (*DefaultClient)(nil)

// NewClient returns a client that speaks REST to the server at serverURL
// (DefaultServerURL when empty) with serverKey (DefaultServerKey when empty).
// opts may be nil. The server key is sent only by the operations that
// authenticate with it (the Authenticate methods and SessionRefresh): a
// program that only makes server-to-server calls (RpcFuncHTTPKey) or uses
// restored sessions may leave it empty.
func NewClient(serverURL, serverKey string, opts *ClientOptions) (*DefaultClient, error) {
	if serverURL == "" {
		serverURL = DefaultServerURL
	}
	if serverKey == "" {
		serverKey = DefaultServerKey
	}
	var rest *RESTOptions
	if opts != nil {
		rest = &opts.REST
	}
	a, err := NewRESTAdapter(serverURL, serverKey, rest)
	if err != nil {
		return nil, err
	}
	return NewClientWithAdapter(a, opts), nil
}

// NewClientWithAdapter returns a client that sends its calls through adapter.
// opts may be nil.
func NewClientWithAdapter(adapter ClientAdapter, opts *ClientOptions) *DefaultClient {
	c := &DefaultClient{adapter: adapter}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.RefreshWindow == 0 {
		c.opts.RefreshWindow = DefaultRefreshWindow
	}
	c.retry = c.opts.Retry.withDefaults()
	if c.opts.DisableRetry {
		c.retry.MaxAttempts = 1
	}
	return c
}

// Adapter returns the adapter the client sends through.
func (c *DefaultClient) Adapter() ClientAdapter { return c.adapter }

// call sends one operation for session s (nil for calls that carry no
// session) and returns the answer. It refreshes s first when it is about to
// expire, retries per the policy, and wraps every error with the
// operation's name.
func call[R proto.Message](ctx context.Context, c *DefaultClient, name string, s *Session, req proto.Message) (R, error) {
	var zero R
	o := op.Get(name)
	resp, err := c.send(ctx, o, s, req)
	if err != nil {
		return zero, &OpError{Op: name, Err: err}
	}
	return resp.(R), nil
}

// callEmpty is call for operations that answer with nothing.
func callEmpty(ctx context.Context, c *DefaultClient, name string, s *Session, req proto.Message) error {
	_, err := call[proto.Message](ctx, c, name, s, req)
	return err
}

func (c *DefaultClient) send(ctx context.Context, o *Operation, s *Session, req proto.Message) (proto.Message, error) {
	// A local mistake is reported before anything else happens: no refresh,
	// no send, no retry.
	if err := checkPathFields(o, req); err != nil {
		return nil, err
	}
	needsSession := o.Auth == AuthBearer || (o.Auth == AuthBearerOrHTTPKey && s != nil)
	var sent string // the token the call goes out with
	if needsSession {
		if s == nil {
			return nil, ErrNilSession
		}
		if err := c.ensureFresh(ctx, s); err != nil {
			return nil, err
		}
		sent = s.Token()
	}
	resp, err := c.sendRetrying(ctx, o, s, needsSession, req)
	if err != nil && needsSession && !c.opts.DisableAutoRefresh && errors.Is(err, ErrUnauthenticated) &&
		!s.RefreshExpired() && o.Name != "SessionLogout" {
		// The token looked fresh here but the server disagrees: the device
		// clock is off, or the token was restored from storage. Refresh once
		// (unless another caller already replaced the rejected token) and
		// send again.
		rerr := c.refreshSession(ctx, s, nil, sent, false)
		if rerr == nil {
			resp, err = c.sendRetrying(ctx, o, s, needsSession, req)
		} else if errors.Is(rerr, ErrSessionExpired) {
			err = rerr
		}
	}
	return resp, err
}

func (c *DefaultClient) sendRetrying(ctx context.Context, o *Operation, s *Session, withToken bool, req proto.Message) (proto.Message, error) {
	var start time.Time // set on the first failure: a call that succeeds at once never reads the clock for retries
	idem := idempotent(o, req)
	cl := &Call{Operation: o, Request: req}
	for attempt := 1; ; attempt++ {
		cl.Response = o.NewResponse()
		if withToken {
			cl.Token = s.Token()
		}
		var t0 time.Time
		if c.opts.Logger != nil {
			t0 = time.Now()
		}
		var err error
		if cerr := ctx.Err(); attempt == 1 && cerr != nil {
			// Nothing is sent for a call already cancelled or past its
			// deadline, whatever the adapter would do with it.
			err = cerr
		} else {
			err = c.adapter.Send(ctx, cl)
		}
		if err == nil {
			if c.opts.Logger != nil {
				logCall(ctx, c.opts.Logger, o.Name, attempt, time.Since(t0), nil)
			}
			return cl.Response, nil
		}
		// Judge the error as the adapter returned it, then make sure no
		// credential of the call survives in what is logged or returned.
		again := retryable(err, idem)
		err = scrubError(err, callSecrets(cl))
		if c.opts.Logger != nil {
			logCall(ctx, c.opts.Logger, o.Name, attempt, time.Since(t0), err)
		}
		if cerr := ctx.Err(); cerr != nil {
			if errors.Is(err, cerr) {
				return nil, err
			}
			return nil, fmt.Errorf("%w (%w)", cerr, err)
		}
		if attempt >= c.retry.MaxAttempts || !again {
			return nil, err
		}
		if start.IsZero() {
			start = time.Now()
		}
		wait := c.retry.delay(attempt-1, jitter)
		if time.Since(start)+wait > c.retry.MaxElapsed {
			return nil, err
		}
		if c.opts.Logger != nil {
			logRetry(ctx, c.opts.Logger, o.Name, attempt, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (%w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// ensureFresh refreshes s when its token is due (Session.refreshDue).
func (c *DefaultClient) ensureFresh(ctx context.Context, s *Session) error {
	// Read the token before judging its expiry: if another caller refreshes
	// in between, the stale check in refreshSession then sees the change
	// rather than mistaking the new token for the one to replace.
	token := s.Token()
	if !s.refreshDue(c.opts.RefreshWindow) {
		return nil
	}
	if c.opts.DisableAutoRefresh || s.RefreshExpired() {
		if s.Expired() {
			return ErrSessionExpired
		}
		return nil // still valid: use it while it lasts
	}
	err := c.refreshSession(ctx, s, nil, token, false)
	if err != nil && !s.Expired() && ctx.Err() == nil {
		// The token still works; a failed early refresh must not fail the
		// call. The next call tries again. The error was scrubbed of the
		// refresh's credentials by sendRetrying.
		if c.opts.Logger != nil {
			logWarn(c.opts.Logger, "nakama refresh failed; sending with the current token", err)
		}
		return nil
	}
	return err
}

// refreshSession refreshes s unless another caller already replaced the
// token seen (stale), sharing one request among concurrent callers. Explicit
// refreshes with vars pass an empty stale and force, so they never settle
// for a refresh that carried other vars.
func (c *DefaultClient) refreshSession(ctx context.Context, s *Session, vars map[string]string, stale string, force bool) error {
	for {
		updated := false
		_, err := s.refresh(ctx, func(ctx context.Context) error {
			if stale != "" && s.Token() != stale {
				return nil // refreshed by someone else meanwhile
			}
			req := &api.SessionRefreshRequest{Token: s.RefreshToken(), Vars: vars}
			a, err := c.sendRetrying(ctx, op.Get("SessionRefresh"), nil, false, req)
			if err != nil {
				if errors.Is(err, ErrUnauthenticated) {
					return fmt.Errorf("%w: refresh rejected: %w", ErrSessionExpired, err)
				}
				return err
			}
			if err := s.update(a.(*api.Session)); err != nil {
				return err
			}
			updated = true
			return nil
		})
		if !updated && force && err == nil {
			continue // joined someone else's refresh; send ours
		}
		if updated && c.opts.OnSessionRefresh != nil {
			// Called after the refresh is released, so the callback may use
			// the session, even refresh it, without waiting on itself.
			c.opts.OnSessionRefresh(s)
		}
		return err
	}
}
