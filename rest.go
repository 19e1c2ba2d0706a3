//go:build !js

package nakama

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Defaults of a server started with no configuration.
const (
	// DefaultServerURL is a local server's REST address.
	DefaultServerURL = "http://127.0.0.1:7350"
	// DefaultServerKey is the server key of a server left unconfigured.
	DefaultServerKey = "defaultkey"
	// DefaultTimeout bounds each REST exchange unless RESTOptions.Timeout says
	// otherwise.
	DefaultTimeout = 10 * time.Second
)

// The caps on what the REST adapter reads. An error body past its cap is
// still decoded as far as it goes; a success body past its cap is an error.
const (
	maxErrorBody   = 64 << 10
	maxSuccessBody = 64 << 20
)

// DefaultMaxIdleConns is how many idle connections the REST adapter keeps
// open for reuse unless RESTOptions.MaxIdleConns says otherwise.
const DefaultMaxIdleConns = 100

// RESTOptions configures a RESTAdapter. The zero value is ready to use.
type RESTOptions struct {
	// HTTPClient sends the requests. Default: a client with a transport of
	// the adapter's own (http.DefaultTransport's settings, with the idle
	// pool of MaxIdleConns). Its Timeout, if any, applies as well as
	// Timeout; MaxIdleConns does not apply to it.
	HTTPClient *http.Client
	// MaxIdleConns is how many idle connections to the server the default
	// transport keeps for reuse. Default DefaultMaxIdleConns. Set it to
	// about the number of goroutines that call at once: each call past it
	// opens a connection that is closed afterwards, and leaves a socket in
	// TIME_WAIT. Negative: keep none.
	MaxIdleConns int
	// Timeout bounds each exchange, on top of the call's context.
	// Default: DefaultTimeout. Negative: no bound but the context's.
	Timeout time.Duration
	// UserAgent is sent with every request. Default: "gonakama/<version>".
	UserAgent string
}

// RESTAdapter is the ClientAdapter that speaks the server's REST API (the
// gRPC gateway) with net/http and protojson, following its conventions: proto
// field names, int64 as strings, zero values omitted, unknown fields ignored.
// It is safe for concurrent use.
//
// Its transport failures are errors with the methods of the retry contract
// (see ClientAdapter): SafeToRetry reports true for a failure to connect,
// Temporary for every transport failure.
type RESTAdapter struct {
	base      *url.URL
	prefix    string  // base's escaped path
	keyForms  secrets // the server key in every form an echo could hold it
	basicAuth string  // the Authorization header of AuthBasic operations
	client    *http.Client
	timeout   time.Duration
	userAgent []string
}

// NewRESTAdapter returns an adapter for the server at serverURL (http or
// https, such as DefaultServerURL, with an optional path prefix) that
// authenticates with serverKey. opts may be nil.
func NewRESTAdapter(serverURL, serverKey string, opts *RESTOptions) (*RESTAdapter, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("nakama: bad server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("nakama: bad server URL %q: scheme must be http or https", serverURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("nakama: bad server URL %q: no host", serverURL)
	}
	u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(u.RawPath, "/")
	u.RawQuery, u.Fragment, u.User = "", "", nil
	var o RESTOptions
	if opts != nil {
		o = *opts
	}
	a := &RESTAdapter{base: u, prefix: u.EscapedPath(), client: o.HTTPClient, timeout: o.Timeout}
	a.keyForms = secrets(nil).addServerKey(serverKey).sorted()
	a.basicAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(serverKey+":"))
	if a.client == nil {
		a.client = &http.Client{Transport: newTransport(o.MaxIdleConns)}
	}
	if a.timeout == 0 {
		a.timeout = DefaultTimeout
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "gonakama/" + Version
	}
	a.userAgent = []string{ua}
	return a, nil
}

// idleConnTimeout is how long a pooled connection may sit idle before the
// adapter drops it. Nakama closes a connection idle for socket.idle_timeout_ms
// (60 s by default), and so do common load balancers; a pool that kept
// connections longer (http.DefaultTransport keeps them 90 s) would send calls
// on connections the server is closing, and a call that is not idempotent is
// not resent when its connection fails.
const idleConnTimeout = 30 * time.Second

// newTransport returns a transport with http.DefaultTransport's settings and
// an idle pool of n connections (DefaultMaxIdleConns for 0): the default
// transport keeps 2 per host, so concurrent callers would open and close a
// connection for nearly every call.
func newTransport(n int) http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport // replaced by the program; use its choice
	}
	t = t.Clone()
	switch {
	case n == 0:
		n = DefaultMaxIdleConns
	case n < 0:
		t.DisableKeepAlives = true
		n = 0
	}
	// Every connection goes to the one server, so the per-host bound is the
	// whole pool's.
	t.MaxIdleConns, t.MaxIdleConnsPerHost = n, n
	t.IdleConnTimeout = idleConnTimeout
	return t
}

// ServerURL returns the server address the adapter sends to.
func (a *RESTAdapter) ServerURL() string { return a.base.String() }

// CloseIdleConnections closes the connections the adapter keeps open for
// reuse (those of its HTTP client's transport). Calls may still be made
// afterwards; they open new connections.
func (a *RESTAdapter) CloseIdleConnections() { a.client.CloseIdleConnections() }

var (
	marshalOptions   = protojson.MarshalOptions{UseProtoNames: true}
	unmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// newTransportError wraps a failure of http.Client.Do or of reading a body,
// with the URL's credentials removed.
func newTransportError(err error) error {
	var oe *net.OpError
	safe := errors.As(err, &oe) && (oe.Op == "dial" || oe.Op == "proxyconnect")
	return &transportError{err: redactURLError(err), safe: safe}
}

// Send sends one call over REST. See ClientAdapter.
func (a *RESTAdapter) Send(ctx context.Context, call *Call) error {
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	req, err := a.newRequest(ctx, call)
	if err != nil {
		return err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return a.scrub(newTransportError(err), call)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return decodeRESTError(resp.StatusCode, body, a.secrets(call))
	}
	body, err := readBody(resp)
	if err != nil {
		return a.scrub(newTransportError(fmt.Errorf("reading response: %w", err)), call)
	}
	if len(body) > maxSuccessBody {
		return badResponse(resp.StatusCode, "body larger than %d bytes", maxSuccessBody)
	}
	if err := decodeRESTBody(body, call.Response); err != nil {
		return decodeRESTBodyError(resp.StatusCode, body, err, a.secrets(call))
	}
	return nil
}

// readBody reads a success body up to its cap (one byte past it, to tell),
// in one allocation when the server said its length. A length of 0 is not
// trusted: a hand-built http.Response leaves it 0 for a body of any size.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxSuccessBody {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxSuccessBody+1))
}

// secrets returns every credential the call could see echoed: the server
// key and the call's own.
func (a *RESTAdapter) secrets(call *Call) secrets {
	return append(slices.Clone(a.keyForms), callSecrets(call)...).sorted()
}

func (a *RESTAdapter) scrub(err error, call *Call) error { return scrubError(err, a.secrets(call)) }

// newRequest builds the HTTP request for a call from its operation's row:
// path fields into the path, the body field (or the whole message) into the
// body, every other populated field into the query.
func (a *RESTAdapter) newRequest(ctx context.Context, call *Call) (*http.Request, error) {
	o := call.Operation
	r := routeOf(o)
	if r.err != nil {
		return nil, r.err
	}
	m := call.Request.ProtoReflect()

	// The path in its plain form (url.URL.Path) and its escaped form
	// (RawPath), so an id with a space or a slash is escaped exactly once.
	plain, escaped := o.Path, o.Path
	if len(r.pathFields) > 0 {
		var pb, eb strings.Builder
		for i, fd := range r.pathFields {
			v, err := pathValue(m, fd)
			if err != nil {
				return nil, err
			}
			pb.WriteString(r.pieces[i])
			pb.WriteString(v)
			eb.WriteString(r.pieces[i])
			eb.WriteString(url.PathEscape(v))
		}
		last := r.pieces[len(r.pieces)-1]
		pb.WriteString(last)
		eb.WriteString(last)
		plain, escaped = pb.String(), eb.String()
	}

	var body []byte
	var err error
	switch o.Body {
	case "":
	case "*":
		// The whole message less the fields already bound in the path.
		msg := call.Request
		if len(r.pathFields) > 0 {
			msg = proto.Clone(call.Request)
			for _, fd := range r.pathFields {
				msg.ProtoReflect().Clear(fd)
			}
		}
		if body, err = marshalOptions.Marshal(msg); err != nil {
			return nil, fmt.Errorf("nakama: encoding request: %w", err)
		}
	default:
		if body, err = marshalField(m, r.body); err != nil {
			return nil, fmt.Errorf("nakama: encoding request: %w", err)
		}
	}

	var query string
	if o.Body != "*" {
		var q url.Values
		var qerr error
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if !r.bound(fd) {
				if q == nil {
					q = url.Values{}
				}
				qerr = addQuery(q, fd, v)
			}
			return qerr == nil
		})
		if qerr != nil {
			return nil, fmt.Errorf("nakama: encoding query: %w", qerr)
		}
		query = q.Encode()
	}

	u := *a.base
	u.Path = a.base.Path + plain
	if escaped != plain || a.base.RawPath != "" {
		u.RawPath = a.prefix + escaped
	}
	u.RawQuery = query

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The URL is set after, not given as a string that
	// NewRequestWithContext would parse again.
	req, err := http.NewRequestWithContext(ctx, o.Method, "", rd)
	if err != nil {
		return nil, fmt.Errorf("nakama: %w", err)
	}
	req.URL, req.Host = &u, u.Host
	req.Header["Accept"] = acceptJSON
	req.Header["User-Agent"] = a.userAgent
	if body != nil {
		req.Header["Content-Type"] = acceptJSON
	}
	switch o.Auth {
	case AuthBasic:
		req.Header["Authorization"] = []string{a.basicAuth}
	case AuthBearer, AuthBearerOrHTTPKey:
		if call.Token != "" {
			req.Header["Authorization"] = []string{"Bearer " + call.Token}
		}
	}
	return req, nil
}

// acceptJSON is shared by every request's Accept and Content-Type headers;
// net/http only reads header values.
var acceptJSON = []string{"application/json"}

// marshalField encodes one field as a JSON value, the way the gateway expects
// a body bound to a single field.
func marshalField(m protoreflect.Message, fd protoreflect.FieldDescriptor) ([]byte, error) {
	v := m.Get(fd)
	switch {
	case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
		if !m.Has(fd) {
			return []byte("{}"), nil
		}
		return marshalOptions.Marshal(v.Message().Interface())
	case fd.Kind() == protoreflect.StringKind && !fd.IsList():
		return json.Marshal(v.String())
	}
	return nil, fmt.Errorf("unsupported body field kind %s", fd.Kind())
}

// addQuery adds one populated field to the query by its proto name.
func addQuery(q url.Values, fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	key := string(fd.Name())
	switch {
	case fd.IsMap():
		return fmt.Errorf("map field %s cannot travel in a query", key)
	case fd.IsList():
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			s, err := scalarString(fd, l.Get(i))
			if err != nil {
				return err
			}
			q.Add(key, s)
		}
		return nil
	}
	s, err := scalarString(fd, v)
	if err != nil {
		return err
	}
	q.Set(key, s)
	return nil
}

// scalarString renders a scalar, or a wrapper message's value, as the gateway
// reads it from a query string.
func scalarString(fd protoreflect.FieldDescriptor, v protoreflect.Value) (string, error) {
	if md := fd.Message(); md != nil {
		if !strings.HasPrefix(string(md.FullName()), "google.protobuf.") || md.Fields().ByName("value") == nil {
			return "", fmt.Errorf("message field %s cannot travel in a query", fd.Name())
		}
		inner := md.Fields().ByName("value")
		return scalarString(inner, v.Message().Get(inner))
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return v.String(), nil
	case protoreflect.BoolKind:
		return strconv.FormatBool(v.Bool()), nil
	case protoreflect.EnumKind:
		return strconv.FormatInt(int64(v.Enum()), 10), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.FormatInt(v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10), nil
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64), nil
	}
	return "", fmt.Errorf("field %s of kind %s cannot travel in a query", fd.Name(), fd.Kind())
}

// decodeRESTBody fills out from a success body. Its error is the decoder's,
// to be described by decodeRESTBodyError.
func decodeRESTBody(body []byte, out proto.Message) error {
	if out == nil {
		return nil
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if out.ProtoReflect().Descriptor().Fields().Len() == 0 {
			return nil // an empty answer is fine where nothing is expected
		}
		return errEmptyBody
	}
	return unmarshalOptions.Unmarshal(trimmed, out)
}

var errEmptyBody = errors.New("empty body")

// decodeRESTBodyError describes a success body that could not be decoded,
// from the body and the decoder's error, without sc.
func decodeRESTBodyError(status int, body []byte, err error, sc secrets) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return badResponse(status, "empty body")
	}
	// protojson quotes the offending token, which may be as long as the body.
	return badResponse(status, "%s: %s", describeBody(trimmed, sc), clipString(sc.clean(err.Error()), 160))
}

// decodeRESTError turns an error answer into a *Error, or, when the body is
// not the server's JSON (a proxy's HTML page, an empty or cut-off body), into
// an error wrapping ErrBadResponse that names the HTTP status. The body may
// echo the request (a proxy's page, a handler quoting its input): no form of
// sc reaches the error, also not cut in half by a clip.
func decodeRESTError(status int, body []byte, sc secrets) error {
	// "error" is a string from some handlers and an object from the RPC
	// route (a runtime function's error), so it is read only if a string.
	var e struct {
		Code    *int            `json:"code"`
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	trimmed := bytes.TrimSpace(body)
	if err := json.Unmarshal(trimmed, &e); err != nil || e.Code == nil {
		if len(trimmed) == 0 {
			return badResponse(status, "%s with an empty body", http.StatusText(status))
		}
		return badResponse(status, "%s with %s", http.StatusText(status), describeBody(trimmed, sc))
	}
	msg := e.Message
	if msg == "" {
		_ = json.Unmarshal(e.Error, &msg)
	}
	return &Error{Code: Code(*e.Code), Message: sc.clean(msg), HTTPStatus: status}
}

// describeBody says what a body that could not be decoded looks like, briefly
// and in printable text, so the error is readable and bounded. The secrets
// are removed before the body is clipped.
func describeBody(b []byte, sc secrets) string {
	const max = 80
	if sc.dirty(string(b)) {
		b = []byte(sc.clean(string(b)))
	}
	kind := "a non-JSON body"
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		kind = "a malformed JSON body"
	}
	n := len(b)
	if n > max {
		b = b[:max]
	}
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == utf8.RuneError {
			return ' '
		}
		return r
	}, string(b))
	return fmt.Sprintf("%s (%d bytes starting %q)", kind, n, s)
}

// clipString shortens s to at most n bytes, on a rune boundary, marking the cut.
func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// redactURLError removes credentials from the URL a *url.Error names: the
// RPC http_key travels in the query, and no key may reach an error string.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	return &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	if q := u.Query(); q.Has("http_key") {
		q.Set("http_key", "REDACTED")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
