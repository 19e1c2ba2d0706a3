//go:build js

package nakama

// The transport-free half of the REST adapter: how a call becomes a
// request (method, URL, body, credential) and how an answer becomes its
// result or error. The net/http adapter (rest.go) and the browser's fetch
// adapter (rest_js.go) both use it, so they send the same bytes and fail
// with the same errors.

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/wrapperspb"
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

var (
	marshalOptions   = protojson.MarshalOptions{UseProtoNames: true}
	unmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// parseServerURL checks a REST server address (http or https, with an
// optional path prefix) and returns it without its trailing slash, query,
// fragment or user info.
func parseServerURL(serverURL string) (*url.URL, error) {
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
	return u, nil
}

// restRequest is a call as it travels over REST, whatever sends it.
type restRequest struct {
	method string
	url    string
	// body is the JSON body, nil when the operation sends none.
	body []byte
	// auth is the Authorization header, "" for none.
	auth string
}

// newRESTRequest builds the request for a call from its operation's row:
// path fields into the path, the body field (or the whole message) into the
// body, every other populated field into the query.
func newRESTRequest(base *url.URL, serverKey string, call *Call) (*restRequest, error) {
	o := call.Operation
	m := call.Request.ProtoReflect()
	fields := m.Descriptor().Fields()
	bound := map[protoreflect.Name]bool{}

	path := o.Path
	for _, name := range o.PathFields() {
		fd := fields.ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, fmt.Errorf("nakama: %s: no request field %q for the path", o.Name, name)
		}
		bound[fd.Name()] = true
		v := m.Get(fd).String()
		if v == "" || v == "." || v == ".." {
			// Caught here because the route would change: an empty or dot
			// segment makes another path, which servers and proxies resolve.
			return nil, fmt.Errorf("%w: %s must be set and not %q", ErrInvalidArgument, fd.Name(), v)
		}
		path = strings.Replace(path, "{"+name+"}", url.PathEscape(v), 1)
	}

	var body []byte
	var err error
	switch o.Body {
	case "":
	case "*":
		// The whole message less the fields already bound in the path.
		msg := call.Request
		if len(bound) > 0 {
			msg = proto.Clone(call.Request)
			for name := range bound {
				msg.ProtoReflect().Clear(fields.ByName(name))
			}
		}
		if body, err = marshalOptions.Marshal(msg); err != nil {
			return nil, fmt.Errorf("nakama: %s: encoding request: %w", o.Name, err)
		}
	default:
		fd := fields.ByName(protoreflect.Name(o.Body))
		if fd == nil {
			return nil, fmt.Errorf("nakama: %s: no request field %q for the body", o.Name, o.Body)
		}
		bound[fd.Name()] = true
		if body, err = marshalField(m, fd); err != nil {
			return nil, fmt.Errorf("nakama: %s: encoding request: %w", o.Name, err)
		}
	}

	q := url.Values{}
	if o.Body != "*" {
		var qerr error
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if !bound[fd.Name()] {
				qerr = addQuery(q, fd, v)
			}
			return qerr == nil
		})
		if qerr != nil {
			return nil, fmt.Errorf("nakama: %s: encoding query: %w", o.Name, qerr)
		}
	}

	// path is escaped: Path takes its unescaped form and RawPath the escaped
	// one, so an id with a space or a slash is escaped exactly once.
	plain, err := url.PathUnescape(path)
	if err != nil {
		return nil, fmt.Errorf("nakama: %s: %w", o.Name, err)
	}
	u := *base
	u.Path = base.Path + plain
	u.RawPath = base.EscapedPath() + path
	u.RawQuery = q.Encode()

	r := &restRequest{method: o.Method, url: u.String(), body: body}
	switch o.Auth {
	case AuthBasic:
		// HTTP basic auth with the key as user and no password.
		r.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(serverKey+":"))
	case AuthBearer, AuthBearerOrHTTPKey:
		if call.Token != "" {
			r.auth = "Bearer " + call.Token
		}
	}
	return r, nil
}

// restReadLimit is how much of an answer with status a REST adapter reads:
// past it, an error body is decoded as far as it goes and a success body is
// refused (decodeRESTAnswer sees one byte more than it allows).
func restReadLimit(status int) int64 {
	if status < 200 || status > 299 {
		return maxErrorBody
	}
	return maxSuccessBody + 1
}

// decodeRESTAnswer turns an answer into the call's Response or an error,
// with the call's credentials scrubbed from it. reason is the status text
// (empty if unknown); body holds at most restReadLimit(status) bytes.
func decodeRESTAnswer(status int, reason string, body []byte, call *Call) error {
	if status < 200 || status > 299 {
		return scrub(decodeRESTError(status, reason, body), call)
	}
	if len(body) > maxSuccessBody {
		return badResponse(status, "body larger than %d bytes", maxSuccessBody)
	}
	return scrub(decodeRESTBody(status, body, call.Response), call)
}

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
		return marshalOptions.Marshal(wrapperspb.String(v.String()))
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

// decodeRESTBody fills out from a success body.
func decodeRESTBody(status int, body []byte, out proto.Message) error {
	trimmed := bytes.TrimSpace(body)
	if out == nil {
		return nil
	}
	if len(trimmed) == 0 {
		if out.ProtoReflect().Descriptor().Fields().Len() == 0 {
			return nil // an empty answer is fine where nothing is expected
		}
		return badResponse(status, "empty body")
	}
	if err := unmarshalOptions.Unmarshal(trimmed, out); err != nil {
		// protojson quotes the offending token, which may be as long as the body.
		return badResponse(status, "%s: %s", describeBody(trimmed), clipString(err.Error(), 160))
	}
	return nil
}

// decodeRESTError turns an error answer into a *Error, or, when the body is
// not the server's JSON (a proxy's HTML page, an empty or cut-off body), into
// an error wrapping ErrBadResponse that names the HTTP status and its reason.
func decodeRESTError(status int, reason string, body []byte) error {
	trimmed := bytes.TrimSpace(body)
	if e, ok := parseRESTError(trimmed); ok {
		e.HTTPStatus = status
		return e
	}
	if reason == "" {
		reason = "an error"
	}
	if len(trimmed) == 0 {
		return badResponse(status, "%s with an empty body", reason)
	}
	return badResponse(status, "%s with %s", reason, describeBody(trimmed))
}

// parseRESTError reads the server's error body: an object with an integer
// "code" and a string "message", or, when there is none, an "error" string.
// "error" is an object from the RPC route (a runtime function's error), so
// it is read only if a string.
func parseRESTError(body []byte) (*Error, bool) {
	fields, err := decodeJSONObject(body)
	if err != nil || fields["code"] == nil {
		return nil, false
	}
	code, err := jsonInt("code", fields["code"])
	if err != nil || code < 0 || code > math.MaxUint32 {
		return nil, false
	}
	e := &Error{Code: Code(code)}
	if m := fields["message"]; m != nil && !isJSONNull(m) {
		if e.Message, err = jsonString("message", m); err != nil {
			return nil, false
		}
	}
	if e.Message == "" {
		e.Message, _ = jsonString("error", fields["error"])
	}
	return e, true
}

// describeBody says what a body that could not be decoded looks like, briefly
// and in printable text, so the error is readable and bounded.
func describeBody(b []byte) string {
	const max = 80
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

// scrub removes the call's credentials from an error built from an answer's
// body: a proxy's error page may echo the request, http_key and all.
func scrub(err error, call *Call) error {
	if err == nil {
		return nil
	}
	var secrets []string
	if call.Token != "" {
		secrets = append(secrets, call.Token)
	}
	m := call.Request.ProtoReflect()
	if fd := m.Descriptor().Fields().ByName("http_key"); fd != nil {
		if k := m.Get(fd).String(); k != "" {
			secrets = append(secrets, k, url.QueryEscape(k))
		}
	}
	clean := func(s string) string {
		for _, k := range secrets {
			s = strings.ReplaceAll(s, k, "REDACTED")
		}
		return s
	}
	var re *responseError
	var se *Error
	switch {
	case errors.As(err, &re):
		re.msg = clean(re.msg)
	case errors.As(err, &se):
		se.Message = clean(se.Message)
	}
	return err
}
