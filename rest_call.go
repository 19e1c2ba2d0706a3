package nakama

// The transport-free half of the REST adapter, shared by the net/http
// adapter (rest.go) and the browser's fetch adapter (rest_js.go), so that
// both send the same bytes and fail with the same errors: how a call becomes
// a URL, a body and a credential, and how an answer becomes its result or an
// error with no credential in it.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

// restKeys returns what an adapter for serverKey needs of it: every form an
// echo could hold it in, and the Authorization header of AuthBasic
// operations (HTTP basic auth with the key as user and no password).
func restKeys(serverKey string) (forms secrets, basicAuth string) {
	return secrets(nil).addServerKey(serverKey).sorted(),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(serverKey+":"))
}

// target builds what a call sends, from its operation's row: path fields
// into the path, the body field (or the whole message) into the body, every
// other populated field into the query. body is nil when the operation
// sends none.
func (a *RESTAdapter) target(call *Call) (u url.URL, body []byte, err error) {
	o := call.Operation
	r := routeOf(o)
	if r.err != nil {
		return url.URL{}, nil, r.err
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
				return url.URL{}, nil, err
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
			return url.URL{}, nil, fmt.Errorf("nakama: encoding request: %w", err)
		}
	default:
		if body, err = marshalField(m, r.body); err != nil {
			return url.URL{}, nil, fmt.Errorf("nakama: encoding request: %w", err)
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
			return url.URL{}, nil, fmt.Errorf("nakama: encoding query: %w", qerr)
		}
		query = q.Encode()
	}

	u = *a.base
	u.Path = a.base.Path + plain
	if escaped != plain || a.base.RawPath != "" {
		u.RawPath = a.prefix + escaped
	}
	u.RawQuery = query
	return u, body, nil
}

// authorization returns the call's Authorization header, "" for none.
func (a *RESTAdapter) authorization(call *Call) string {
	switch call.Operation.Auth {
	case AuthBasic:
		return a.basicAuth
	case AuthBearer, AuthBearerOrHTTPKey:
		if call.Token != "" {
			return "Bearer " + call.Token
		}
	}
	return ""
}

// decodeAnswer turns an answer into the call's Response or an error, with
// the call's credentials scrubbed from it. reason is the status text ("" if
// unknown); body holds at most maxErrorBody bytes of an error answer and
// one byte past maxSuccessBody of a success.
func (a *RESTAdapter) decodeAnswer(status int, reason string, body []byte, call *Call) error {
	if status < 200 || status > 299 {
		return decodeRESTError(status, reason, body, a.secrets(call))
	}
	if len(body) > maxSuccessBody {
		return badResponse(status, "body larger than %d bytes", maxSuccessBody)
	}
	if err := decodeRESTBody(body, call.Response); err != nil {
		return decodeRESTBodyError(status, body, err, a.secrets(call))
	}
	return nil
}

// secrets returns every credential the call could see echoed: the server
// key and the call's own.
func (a *RESTAdapter) secrets(call *Call) secrets {
	return append(slices.Clone(a.keyForms), callSecrets(call)...).sorted()
}

func (a *RESTAdapter) scrub(err error, call *Call) error { return scrubError(err, a.secrets(call)) }

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
// an error wrapping ErrBadResponse that names the HTTP status and its reason
// ("an error" if unknown). The body may
// echo the request (a proxy's page, a handler quoting its input): no form of
// sc reaches the error, also not cut in half by a clip.
func decodeRESTError(status int, reason string, body []byte, sc secrets) error {
	// "error" is a string from some handlers and an object from the RPC
	// route (a runtime function's error), so it is read only if a string.
	var e struct {
		Code    *int            `json:"code"`
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	trimmed := bytes.TrimSpace(body)
	if err := json.Unmarshal(trimmed, &e); err != nil || e.Code == nil {
		if reason == "" {
			reason = "an error"
		}
		if len(trimmed) == 0 {
			return badResponse(status, "%s with an empty body", reason)
		}
		return badResponse(status, "%s with %s", reason, describeBody(trimmed, sc))
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
