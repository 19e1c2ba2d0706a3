package nakama

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// RetryConfig says how DefaultClient retries a failed call: with capped
// exponential backoff and jitter (each wait is uniformly random between half
// the capped exponential delay and all of it), up to MaxAttempts sends,
// within MaxElapsed overall, and never past the call's context.
//
// A call is retried only when the failure is positively known to be
// transient (see ClientAdapter for how an adapter says so):
//   - a failure that proves the request never reached the server
//     (SafeToRetry), for any operation;
//   - a transport failure after the request may have been sent (an error
//     whose Temporary method reports true), and a transient answer (an
//     *Error with Unavailable, ResourceExhausted or Aborted, a 502, 503 or
//     504 from a gateway), only for operations that are idempotent
//     (Operation.Idempotent).
//
// Anything else is returned at once: the server's other answers, local
// mistakes (ErrInvalidArgument before sending), context errors, and errors
// of unknown kinds. Authenticate calls that may create the account (the
// default, unless AuthenticateOptions.NoCreate) count as not idempotent: a
// retry after a lost answer would report Created() == false for the account
// the first attempt created, so they are resent only when nothing was sent.
//
// The zero value means DefaultRetry's values field by field.
type RetryConfig struct {
	// MaxAttempts is how many times a call is sent at most, the first
	// included. Default 8. 1 disables retries.
	MaxAttempts int
	// BaseDelay is the cap on the wait before the first retry. Default 250ms.
	BaseDelay time.Duration
	// Multiplier grows the cap after each retry. Default 2.
	Multiplier float64
	// MaxDelay caps every wait. Default 3s.
	MaxDelay time.Duration
	// MaxElapsed is the time budget for all attempts and waits together: no
	// retry starts when its wait would end past it. Default 20s.
	MaxElapsed time.Duration
}

// DefaultRetry is the retry policy DefaultClient uses unless told otherwise:
// at most 8 attempts, with waits capped at 250ms, 500ms, 1s, 2s, then 3s
// (each at least half its cap), all within 20 seconds. The seven waits add
// up to between 6.4 and 12.8 seconds, so an idempotent call rides out a
// server restart of at least 6 seconds (a Nakama restart takes a few) while
// connections are refused.
var DefaultRetry = RetryConfig{
	MaxAttempts: 8,
	BaseDelay:   250 * time.Millisecond,
	Multiplier:  2,
	MaxDelay:    3 * time.Second,
	MaxElapsed:  20 * time.Second,
}

func (r RetryConfig) withDefaults() RetryConfig {
	d := DefaultRetry
	if r.MaxAttempts != 0 {
		d.MaxAttempts = r.MaxAttempts
	}
	if r.BaseDelay != 0 {
		d.BaseDelay = r.BaseDelay
	}
	if r.Multiplier != 0 {
		d.Multiplier = r.Multiplier
	}
	if r.MaxDelay != 0 {
		d.MaxDelay = r.MaxDelay
	}
	if r.MaxElapsed != 0 {
		d.MaxElapsed = r.MaxElapsed
	}
	return d
}

// delay returns the wait before retry number n (0 for the first retry):
// rnd(cap+1) for the capped exponential delay cap.
func (r RetryConfig) delay(n int, rnd func(int64) int64) time.Duration {
	cap := float64(r.BaseDelay)
	for i := 0; i < n; i++ {
		cap *= r.Multiplier
		if cap >= float64(r.MaxDelay) {
			break
		}
	}
	if cap > float64(r.MaxDelay) {
		cap = float64(r.MaxDelay)
	}
	if cap < 1 {
		return 0
	}
	return time.Duration(rnd(int64(cap) + 1))
}

// The methods by which an adapter's error says it is transient; see
// ClientAdapter.
type (
	safeToRetryError interface{ SafeToRetry() bool }
	temporaryError   interface{ Temporary() bool }
)

// retryable reports whether err is a failure worth another attempt of an
// operation: for any operation a failure that proves nothing was sent; for
// idempotent ones a transport failure or a transient answer too. Nothing
// else: an error of a kind not known to be transient is not retried.
func retryable(err error, idempotent bool) bool {
	if SafeToRetry(err) {
		return true
	}
	if !idempotent {
		return false
	}
	var te temporaryError
	if errors.As(err, &te) && te.Temporary() && any(te) != any(context.DeadlineExceeded) {
		// context.DeadlineExceeded calls itself temporary, but a deadline
		// that is not a transport's own says nothing about the exchange.
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.Code {
		case Unavailable, ResourceExhausted, Aborted:
			return true
		case Internal, Unknown:
			return isGatewayStatus(e.HTTPStatus)
		}
		return false
	}
	var s statusError
	if errors.As(err, &s) {
		// A proxy's error page: retry its gateway failures only.
		return isGatewayStatus(s.HTTPStatusCode())
	}
	return false
}

// idempotent reports whether sending req twice means the same as sending it
// once. An Authenticate request that may create the account does not: the
// second answer would say the account was not created.
func idempotent(o *Operation, req proto.Message) bool {
	if !o.Idempotent {
		return false
	}
	if a, ok := req.(interface{ GetCreate() *wrapperspb.BoolValue }); ok {
		// The server creates the account unless told not to.
		c := a.GetCreate()
		return c != nil && !c.GetValue()
	}
	return true
}

// statusError is an ErrBadResponse that remembers the HTTP status.
type statusError interface{ HTTPStatusCode() int }

func isGatewayStatus(c int) bool { return c == 502 || c == 503 || c == 504 }

// jitter draws a retry's wait below the bound n: uniformly in [n/2, n). The
// floor of half the cap makes the time the retries cover predictable (a
// server restart is ridden out whatever the draws); the spread keeps clients
// that failed together from retrying together. Tests replace it.
var jitter = func(n int64) int64 { return n/2 + rand.Int64N(n-n/2) }
