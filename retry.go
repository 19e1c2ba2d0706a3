package nakama

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// RetryConfig says how DefaultClient retries a failed call: with capped
// exponential backoff and full jitter (each wait is uniformly random between
// zero and the capped exponential delay), up to MaxAttempts sends, within
// MaxElapsed overall, and never past the call's context.
//
// A call is retried only when a retry cannot do harm: after a connection
// failure, or an Unavailable, 5xx or otherwise transient answer, and only for
// operations that are idempotent (Operation.Idempotent), or when the failure
// proves the request never reached the server (SafeToRetry).
//
// The zero value means DefaultRetry's values field by field.
type RetryConfig struct {
	// MaxAttempts is how many times a call is sent at most, the first
	// included. Default 4. 1 disables retries.
	MaxAttempts int
	// BaseDelay is the cap on the wait before the first retry. Default 250ms.
	BaseDelay time.Duration
	// Multiplier grows the cap after each retry. Default 2.
	Multiplier float64
	// MaxDelay caps every wait. Default 5s.
	MaxDelay time.Duration
	// MaxElapsed is the time budget for all attempts and waits together: no
	// retry starts once it is spent. Default 20s.
	MaxElapsed time.Duration
}

// DefaultRetry is the retry policy DefaultClient uses unless told otherwise:
// at most 4 attempts, waits capped at 250ms, 500ms and 1s (full jitter), all
// within 20 seconds.
var DefaultRetry = RetryConfig{
	MaxAttempts: 4,
	BaseDelay:   250 * time.Millisecond,
	Multiplier:  2,
	MaxDelay:    5 * time.Second,
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

// delay returns the wait before retry number n (0 for the first retry).
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

// retryable reports whether err is a failure worth another attempt of an
// operation: transient answers and network failures for idempotent ones, and
// for any operation a failure that proves nothing was sent.
func retryable(err error, idempotent bool) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if SafeToRetry(err) {
		return true
	}
	if !idempotent {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.Code {
		case Unavailable, ResourceExhausted, Aborted:
			return true
		case Internal, Unknown:
			return e.HTTPStatus >= 502 && e.HTTPStatus <= 504
		}
		return false
	}
	if errors.Is(err, ErrBadResponse) {
		// A proxy's error page: retry its gateway failures only.
		return isGatewayStatus(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The exchange's own timeout, not the caller's deadline (checked by
		// the caller), is a lost answer like any other network failure.
		return true
	}
	return true // a network failure
}

// statusError is an ErrBadResponse that remembers the HTTP status.
type statusError interface{ HTTPStatusCode() int }

func isGatewayStatus(err error) bool {
	var s statusError
	if errors.As(err, &s) {
		c := s.HTTPStatusCode()
		return c == 502 || c == 503 || c == 504
	}
	return false
}

// jitter is the random source of full jitter; tests replace it.
var jitter = func(n int64) int64 { return rand.Int64N(n) }
