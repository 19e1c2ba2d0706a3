package nakama

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// secrets are the forms in which a call's credentials could come back in an
// answer, longest first so that no form is left half replaced.
type secrets []string

const redacted = "REDACTED"

// minSecret is the shortest credential scrubbed: replacing every "c" of a
// message because a test sent the signature "c" would leave it unreadable,
// and a credential that short guards nothing.
const minSecret = 4

// add appends s in every form an echo could carry it: as sent, escaped for
// a query or a path, and escaped as a JSON string.
func (sc secrets) add(s string) secrets {
	if len(s) < minSecret {
		return sc
	}
	sc = append(sc, s)
	for _, f := range []string{url.QueryEscape(s), url.PathEscape(s), jsonEscape(s)} {
		if f != s && !slices.Contains(sc, f) {
			sc = append(sc, f)
		}
	}
	return sc
}

// addServerKey appends a server key in its own forms and in the basic-auth
// form it travels in (base64 of "key:"), unpadded so that the form is found
// also when its padding was escaped.
func (sc secrets) addServerKey(key string) secrets {
	if key == "" {
		return sc
	}
	return sc.add(key).add(base64.RawStdEncoding.EncodeToString([]byte(key + ":")))
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// sorted puts the longest forms first.
func (sc secrets) sorted() secrets {
	slices.SortFunc(sc, func(a, b string) int { return len(b) - len(a) })
	return sc
}

func (sc secrets) dirty(s string) bool {
	for _, k := range sc {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

func (sc secrets) clean(s string) string {
	for _, k := range sc {
		s = strings.ReplaceAll(s, k, redacted)
	}
	return s
}

// credentialFields are the request fields that carry a credential: the
// refresh token and the session token of SessionRefresh and SessionLogout,
// the runtime http_key of server-to-server RPC, and the passwords, provider
// tokens and signed player infos of the Authenticate, Link and Unlink
// accounts.
var credentialFields = map[protoreflect.Name]bool{
	"token": true, "refresh_token": true, "http_key": true, "password": true,
	"signed_player_info": true,
}

// callSecrets returns the credentials a call carries: its session token and
// the credential fields of its request, one message level deep (an
// Authenticate request's account).
func callSecrets(c *Call) secrets {
	var sc secrets
	sc = sc.add(c.Token)
	var walk func(m protoreflect.Message, depth int)
	walk = func(m protoreflect.Message, depth int) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Kind() == protoreflect.StringKind && !fd.IsList() && !fd.IsMap() && credentialFields[fd.Name()]:
				sc = sc.add(v.String())
			case fd.Message() != nil && !fd.IsList() && !fd.IsMap() && depth > 0:
				walk(v.Message(), depth-1)
			}
			return true
		})
	}
	if c.Request != nil {
		walk(c.Request.ProtoReflect(), 1)
	}
	return sc.sorted()
}

// scrubError returns err with every form of every secret replaced in its
// message and in the message of every error it wraps. Errors of this
// package's types are copied with clean fields, so errors.As still finds
// them; an error of another type whose text holds a secret is replaced by
// one with the clean text that keeps the chain below it (cleaned in turn)
// and its answers to SafeToRetry, Temporary and Timeout. err itself is
// never modified: an adapter may hand out an error it keeps.
func scrubError(err error, sc secrets) error {
	if err == nil || len(sc) == 0 {
		return err
	}
	switch e := err.(type) {
	case *Error:
		if !sc.dirty(e.Message) {
			return e
		}
		c := *e
		c.Message = sc.clean(c.Message)
		return &c
	case *responseError:
		if !sc.dirty(e.msg) {
			return e
		}
		c := *e
		c.msg = sc.clean(c.msg)
		return &c
	case *OpError:
		if inner := scrubError(e.Err, sc); inner != e.Err {
			return &OpError{Op: e.Op, Err: inner}
		}
		return e
	case *transportError:
		if inner := scrubError(e.err, sc); inner != e.err {
			return &transportError{err: inner, safe: e.safe}
		}
		return e
	case *url.Error:
		inner := scrubError(e.Err, sc)
		if inner == e.Err && !sc.dirty(e.URL) {
			return e
		}
		return &url.Error{Op: e.Op, URL: sc.clean(e.URL), Err: inner}
	}

	changed := false
	var next []error
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if n := u.Unwrap(); n != nil {
			next = []error{scrubError(n, sc)}
			changed = next[0] != n
		}
	case interface{ Unwrap() []error }:
		for _, n := range u.Unwrap() {
			c := scrubError(n, sc)
			changed = changed || c != n
			next = append(next, c)
		}
	}
	msg := err.Error()
	if !changed && !sc.dirty(msg) {
		return err
	}
	// The stand-in answers as the whole chain it replaces does, since
	// errors.As stops at it.
	s := &scrubbedError{msg: sc.clean(msg), next: next, safe: SafeToRetry(err)}
	var te temporaryError
	s.temporary = errors.As(err, &te) && te.Temporary()
	var to interface{ Timeout() bool }
	s.timeout = errors.As(err, &to) && to.Timeout()
	return s
}

// scrubbedError stands in for an error whose text held a credential.
type scrubbedError struct {
	msg                      string
	next                     []error
	safe, temporary, timeout bool
}

func (e *scrubbedError) Error() string     { return e.msg }
func (e *scrubbedError) Unwrap() []error   { return e.next }
func (e *scrubbedError) SafeToRetry() bool { return e.safe }
func (e *scrubbedError) Temporary() bool   { return e.temporary }
func (e *scrubbedError) Timeout() bool     { return e.timeout }
