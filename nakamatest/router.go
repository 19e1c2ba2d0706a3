package nakamatest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gonakama/nakama/op"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// call is what a handler knows about the request beyond its message: the
// operation, and for session-authenticated operations, the session.
type call struct {
	op *op.Operation

	// The session, for Bearer operations (and BearerOrHTTPKey ones that
	// presented a token); zero otherwise.
	userID   string // canonical UUID
	username string
	vars     map[string]string
	expiry   int64 // unix seconds
	tokenID  string
	issuedAt int64 // unix seconds

	// httpKey is true when a BearerOrHTTPKey operation presented the runtime
	// http_key instead of a session.
	httpKey bool

	// The client's address as runtime contexts see it ("" for the
	// runtime's own calls).
	clientIP, clientPort string
}

// handlerFunc serves one operation: req is a fresh, decoded message of the
// row's Request type, and the result must be of its Response type. Return
// an *Error (possibly wrapped) to answer with a given code and message.
type handlerFunc func(ctx context.Context, c *call, req proto.Message) (proto.Message, error)

// rawHandler serves an operation whose wire format the table cannot
// describe (the RPC routes). It gets the request after CORS, the body limit
// and decompression, with the path variables by proto name, and does its
// own decoding, authorization (s.authorize, or s.bearerSession and
// parseBasicAuth for custom rules) and writing (s.writeMessage,
// s.writeError, or its own bytes). Its last path variable takes the rest of
// the path, slashes included, as the server's /v2/rpc/{id:.*} route does.
type rawHandler func(w http.ResponseWriter, r *http.Request, params map[string]string)

// route is one row of the operation table, ready to match and decode.
type route struct {
	op   *op.Operation
	segs []string // path components; a variable is "{field}"
	body protoreflect.FieldDescriptor
	skip map[string]bool // fields the query string may not set
	h    handlerFunc
	raw  rawHandler
}

// buildRoutes prepares a route per table row and checks that every path
// variable and body field names a request field, so a bad row fails at once.
func (s *Server) buildRoutes() {
	s.byName = make(map[string]*route, len(op.All))
	s.paths = make(map[string]http.Handler)
	for i := range op.All {
		o := &op.All[i]
		rt := &route{op: o, segs: strings.Split(o.Path[1:], "/"), skip: map[string]bool{}}
		fields := o.Request.ProtoReflect().Descriptor().Fields()
		for _, name := range o.PathFields() {
			if fields.ByName(protoreflect.Name(name)) == nil {
				panic("nakamatest: " + o.Name + ": path names unknown field " + name)
			}
			rt.skip[name] = true
		}
		if o.Body != "" && o.Body != "*" {
			rt.body = fields.ByName(protoreflect.Name(o.Body))
			if rt.body == nil || rt.body.IsList() || rt.body.IsMap() ||
				(rt.body.Message() == nil && rt.body.Kind() != protoreflect.StringKind) {
				panic("nakamatest: " + o.Name + ": unusable body field " + o.Body)
			}
			rt.skip[o.Body] = true
		}
		s.routes = append(s.routes, rt)
		s.byName[o.Name] = rt
	}
}

// handle registers fn as the handler of the named operation. It panics if
// the name is not in the operation table, already has a handler, or if Req
// and Resp are not the row's message types, so a mistake fails the first
// test that starts a server.
func handle[Req, Resp proto.Message](s *Server, name string, fn func(ctx context.Context, c *call, req Req) (Resp, error)) {
	rt := s.routeForRegistration(name, false)
	if _, ok := rt.op.NewRequest().(Req); !ok {
		panic(fmt.Sprintf("nakamatest: handler for %s takes %T, want %T", name, *new(Req), rt.op.Request))
	}
	if _, ok := rt.op.NewResponse().(Resp); !ok {
		panic(fmt.Sprintf("nakamatest: handler for %s returns %T, want %T", name, *new(Resp), rt.op.Response))
	}
	rt.h = func(ctx context.Context, c *call, req proto.Message) (proto.Message, error) {
		resp, err := fn(ctx, c, req.(Req))
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
}

// handleRaw registers a raw handler for the named operation, with the same
// checks as handle. Over REST it takes the place of any handler registered
// with handle, which then serves the operation over gRPC only.
func (s *Server) handleRaw(name string, fn rawHandler) {
	s.routeForRegistration(name, true).raw = fn
}

func (s *Server) routeForRegistration(name string, raw bool) *route {
	rt := s.byName[name]
	if rt == nil {
		panic("nakamatest: no operation named " + name)
	}
	if (raw && rt.raw != nil) || (!raw && rt.h != nil) {
		panic("nakamatest: operation " + name + " registered twice")
	}
	return rt
}

// handlePath serves an exact path outside the operation table (such as the
// realtime socket's /ws) with h. The route bypasses the body limit and
// compression, as on the real server.
func (s *Server) handlePath(path string, h http.Handler) {
	if _, dup := s.paths[path]; dup {
		panic("nakamatest: path " + path + " registered twice")
	}
	s.paths[path] = h
}

// ServeHTTP answers one HTTP request as the real server's gateway does. It
// lets a Server be mounted in another mux or driven by httptest.NewRecorder.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !cors(w, r) {
		return
	}
	if r.URL.Path == "/" && r.Method == http.MethodGet {
		w.WriteHeader(http.StatusOK)
		return
	}
	if h := s.paths[r.URL.Path]; h != nil {
		h.ServeHTTP(w, r)
		return
	}
	w.Header().Add("Cache-Control", "no-store, no-cache, must-revalidate")
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxRequestSize)
	w, finish := compressResponse(w, r)
	defer finish()
	decompressRequest(r)
	s.serveAPI(w, r)
}

// CORS as the real server configures it (gorilla/handlers with any origin,
// the methods GET, HEAD, POST, PUT, DELETE and the headers Authorization,
// Content-Type, User-Agent), so browser clients built for js/wasm work.
var (
	corsMethods       = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete}
	corsSimpleMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost}
	corsSimpleHeaders = []string{"Accept", "Accept-Language", "Content-Language", "Origin"}
	corsHeaders       = append(slices.Clone(corsSimpleHeaders), "Authorization", "Content-Type", "User-Agent")
)

// cors applies the CORS rules and reports whether the request goes on to
// the API; when it returns false the response is complete.
func cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		// Without an origin, a preflight is answered with an empty 200 and
		// everything else passes through untouched.
		return r.Method != http.MethodOptions
	}
	if r.Method == http.MethodOptions {
		if _, ok := r.Header["Access-Control-Request-Method"]; !ok {
			w.WriteHeader(http.StatusBadRequest)
			return false
		}
		method := r.Header.Get("Access-Control-Request-Method")
		if !slices.Contains(corsMethods, method) {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return false
		}
		var allowed []string
		for _, h := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
			h = http.CanonicalHeaderKey(strings.TrimSpace(h))
			if h == "" || slices.Contains(corsSimpleHeaders, h) {
				continue
			}
			if !slices.Contains(corsHeaders, h) {
				w.WriteHeader(http.StatusForbidden)
				return false
			}
			allowed = append(allowed, h)
		}
		if len(allowed) > 0 {
			w.Header().Set("Access-Control-Allow-Headers", strings.Join(allowed, ","))
		}
		if !slices.Contains(corsSimpleMethods, method) {
			w.Header().Set("Access-Control-Allow-Methods", method)
		}
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return false
	}
	return true
}

// decompressRequest undoes a gzip or deflate Content-Encoding. The body
// limit has already been applied to the compressed bytes, as on the server.
func decompressRequest(r *http.Request) {
	switch r.Header.Get("Content-Encoding") {
	case "gzip":
		// On a bad gzip header the server reads on as if uncompressed.
		if gr, err := gzip.NewReader(r.Body); err == nil {
			r.Body = gr
		}
	case "deflate":
		r.Body = flate.NewReader(r.Body)
	}
}

// compressResponse compresses the answer when the client accepts gzip or
// deflate, picking the first of them the Accept-Encoding list names exactly.
// finish flushes the compressor and must run after the handler.
func compressResponse(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, func()) {
	w.Header().Add("Vary", "Accept-Encoding")
	var encoding string
	for _, enc := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc = strings.TrimSpace(enc); enc == "gzip" || enc == "deflate" {
			encoding = enc
			break
		}
	}
	if encoding == "" || r.Header.Get("Upgrade") != "" {
		return w, func() {}
	}
	pool := &gzipWriters
	if encoding == "deflate" {
		pool = &flateWriters
	}
	enc := pool.Get().(compressor)
	enc.Reset(w)
	w.Header().Set("Content-Encoding", encoding)
	r.Header.Del("Accept-Encoding")
	return &compressWriter{ResponseWriter: w, enc: enc}, func() {
		_ = enc.Close()
		pool.Put(enc)
	}
}

// compressor is a *gzip.Writer or a *flate.Writer.
type compressor interface {
	io.WriteCloser
	Reset(io.Writer)
}

// The compressors are pooled: a new one allocates about a megabyte of
// tables, which took most of a small call's time.
var (
	gzipWriters  = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	flateWriters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.DefaultCompression) // fails only for a bad level
		return w
	}}
)

type compressWriter struct {
	http.ResponseWriter
	enc io.Writer
}

func (c *compressWriter) WriteHeader(code int) {
	c.Header().Del("Content-Length")
	c.ResponseWriter.WriteHeader(code)
}

func (c *compressWriter) Write(b []byte) (int, error) {
	h := c.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", http.DetectContentType(b))
	}
	h.Del("Content-Length")
	return c.enc.Write(b)
}

// statusWriter remembers the status, so a panic can tell whether an answer
// was already started and the request log can show the outcome.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	rt, params, routingStatus := s.match(r)
	name := ""
	if rt != nil {
		name = rt.op.Name
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Warn("nakamatest: handler panicked", "op", name, "panic", v, "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.writeError(sw, errorf(Internal, "nakamatest: %s handler panicked: %v", name, v))
			}
		}
		s.log.Debug("nakamatest: request", "method", r.Method, "path", r.URL.Path, "op", name,
			"status", sw.status, "duration", time.Since(start))
	}()

	if rt == nil {
		writeRoutingError(sw, routingStatus)
		return
	}
	if rt.raw != nil {
		rt.raw(sw, r, params)
		return
	}
	if rt.h == nil {
		s.writeError(sw, errorf(Unimplemented, "method %s not implemented", rt.op.Name))
		return
	}
	req, err := rt.decode(r, params)
	if err != nil {
		s.writeError(sw, err)
		return
	}
	// From here on the real server has passed the request to its gRPC
	// service, whose response metadata the gateway forwards as a header.
	sw.Header().Set("Grpc-Metadata-Content-Type", "application/grpc")
	c, err := s.authorize(rt.op, r.Header.Values("Authorization"), req)
	if err != nil {
		s.writeError(sw, err)
		return
	}
	c.clientIP, c.clientPort = clientAddress(r.Header, r.RemoteAddr)
	resp, err := s.callHandler(r.Context(), rt, c, req)
	if err != nil {
		s.writeError(sw, err)
		return
	}
	s.writeMessage(sw, resp)
}

// match finds the route for the request. When none matches it returns the
// HTTP status of the routing failure: 405 when the path exists with another
// method, 404 otherwise, 400 for a path that does not start with a slash.
func (s *Server) match(r *http.Request) (*route, map[string]string, int) {
	if !strings.HasPrefix(r.URL.Path, "/") {
		return nil, nil, http.StatusBadRequest
	}
	comps := strings.Split(r.URL.Path[1:], "/")
	for _, rt := range s.routes {
		if rt.op.Method == r.Method {
			if params, ok := rt.matchPath(comps); ok {
				return rt, params, 0
			}
		}
	}
	for _, rt := range s.routes {
		if _, ok := rt.matchPath(comps); ok {
			return nil, nil, http.StatusMethodNotAllowed
		}
	}
	return nil, nil, http.StatusNotFound
}

func (rt *route) matchPath(comps []string) (map[string]string, bool) {
	greedy := rt.raw != nil && isVar(rt.segs[len(rt.segs)-1])
	if len(comps) != len(rt.segs) && !(greedy && len(comps) > len(rt.segs)) {
		return nil, false
	}
	var params map[string]string
	for i, seg := range rt.segs {
		if !isVar(seg) {
			if comps[i] != seg {
				return nil, false
			}
			continue
		}
		if params == nil {
			params = make(map[string]string)
		}
		v := comps[i]
		if greedy && i == len(rt.segs)-1 {
			v = strings.Join(comps[i:], "/")
		}
		params[seg[1:len(seg)-1]] = v
	}
	return params, true
}

func isVar(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// writeRoutingError answers a request no route takes, with the statuses and
// messages of the server's routing error handler.
func writeRoutingError(w http.ResponseWriter, status int) {
	var e *Error
	switch status {
	case http.StatusBadRequest:
		e = newError(InvalidArgument, http.StatusText(status))
	case http.StatusMethodNotAllowed:
		e = newError(Unimplemented, http.StatusText(status))
	case http.StatusNotFound:
		e = newError(NotFound, http.StatusText(status))
	default:
		e = newError(Internal, "Unexpected routing error")
	}
	writeStatus(w, e)
}

var (
	unmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: true}
	marshalOptions   = protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true}
)

// decode builds the request message the way the gateway does: the body
// first (all of it, or one field), then the path variables, then, unless
// the body is the whole message, the query string.
func (rt *route) decode(r *http.Request, params map[string]string) (proto.Message, error) {
	msg := rt.op.NewRequest()
	m := msg.ProtoReflect()
	switch {
	case rt.op.Body == "*":
		if err := decodeJSON(r.Body, msg); err != nil {
			return nil, err
		}
	case rt.body != nil && rt.body.Message() != nil:
		// The gateway allocates the field before reading, so an empty body
		// leaves it present and empty rather than absent.
		if err := decodeJSON(r.Body, m.Mutable(rt.body).Message().Interface()); err != nil {
			return nil, err
		}
	case rt.body != nil:
		var v string
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil && err != io.EOF {
			return nil, newError(InvalidArgument, err.Error())
		}
		m.Set(rt.body, protoreflect.ValueOfString(v))
	}
	fields := m.Descriptor().Fields()
	for name, val := range params {
		fd := fields.ByName(protoreflect.Name(name))
		v, err := parseScalar(fd, val)
		if err != nil {
			return nil, errorf(InvalidArgument, "type mismatch, parameter: %s, error: %v", name, err)
		}
		m.Set(fd, v)
	}
	if rt.op.Body == "*" {
		return msg, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, newError(InvalidArgument, err.Error())
	}
	if err := populateQuery(m, r.Form, rt.skip); err != nil {
		return nil, newError(InvalidArgument, err.Error())
	}
	return msg, nil
}

// decodeJSON reads one JSON value, as the gateway does (anything after it is
// ignored, and an empty body is no error), and unmarshals it into msg.
func decodeJSON(body io.Reader, msg proto.Message) error {
	var raw json.RawMessage
	if err := json.NewDecoder(body).Decode(&raw); err != nil {
		if err == io.EOF {
			return nil
		}
		return newError(InvalidArgument, err.Error())
	}
	if err := unmarshalOptions.Unmarshal(raw, msg); err != nil {
		return newError(InvalidArgument, err.Error())
	}
	return nil
}

// bracketKey matches the gateway's "field[key]=value" form for map fields.
var bracketKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

// populateQuery sets request fields from query parameters the way the
// gateway does. A key is a field path of proto or JSON names separated by
// dots; unknown keys are ignored; repeated fields take repeated keys; map
// fields take "field[key]=value"; fields in skip (path and body fields)
// cannot be set. Keys are visited in sorted order so that, of several
// errors, the same one is always reported.
func populateQuery(m protoreflect.Message, values map[string][]string, skip map[string]bool) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		vals := values[key]
		if sub := bracketKey.FindStringSubmatch(key); sub != nil {
			key = sub[1]
			vals = append([]string{sub[2]}, vals...)
		}
		path := strings.Split(key, ".")
		if first, ok := canonicalField(m.Descriptor(), path[0]); ok && skip[first] {
			continue
		}
		if err := setFieldPath(m, path, vals); err != nil {
			return err
		}
	}
	return nil
}

// canonicalField returns the proto name of the field a query key names by
// proto or JSON name.
func canonicalField(md protoreflect.MessageDescriptor, name string) (string, bool) {
	fd := fieldByAnyName(md, name)
	if fd == nil {
		return "", false
	}
	return string(fd.Name()), true
}

func fieldByAnyName(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	fields := md.Fields()
	if fd := fields.ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	return fields.ByJSONName(name)
}

func setFieldPath(m protoreflect.Message, path, vals []string) error {
	if len(vals) == 0 {
		return errors.New("no value provided")
	}
	var fd protoreflect.FieldDescriptor
	for i, name := range path {
		fd = fieldByAnyName(m.Descriptor(), name)
		if fd == nil {
			return nil // not a field: an extra parameter the server ignores
		}
		if of := fd.ContainingOneof(); of != nil && !of.IsSynthetic() {
			if set := m.WhichOneof(of); set != nil && (fd.Message() == nil || fd.FullName() != set.FullName()) {
				return fmt.Errorf("field already set for oneof %q", of.Name())
			}
		}
		if i == len(path)-1 {
			break
		}
		if fd.Message() == nil || fd.Cardinality() == protoreflect.Repeated {
			return fmt.Errorf("invalid path: %q is not a message", name)
		}
		m = m.Mutable(fd).Message()
	}
	switch {
	case fd.IsList():
		list := m.Mutable(fd).List()
		for _, s := range vals {
			v, err := parseScalar(fd, s)
			if err != nil {
				return fmt.Errorf("parsing list %q: %w", fd.Name(), err)
			}
			list.Append(v)
		}
		return nil
	case fd.IsMap():
		if len(vals) != 2 {
			return fmt.Errorf("more than one value provided for key %q in map %q", vals[0], fd.FullName())
		}
		k, err := parseScalar(fd.MapKey(), vals[0])
		if err != nil {
			return fmt.Errorf("parsing map key %q: %w", fd.Name(), err)
		}
		v, err := parseScalar(fd.MapValue(), vals[1])
		if err != nil {
			return fmt.Errorf("parsing map value %q: %w", fd.Name(), err)
		}
		m.Mutable(fd).Map().Set(k.MapKey(), v)
		return nil
	}
	if len(vals) > 1 {
		return fmt.Errorf("too many values for field %q: %s", fd.Name(), strings.Join(vals, ", "))
	}
	v, err := parseScalar(fd, vals[0])
	if err != nil {
		return fmt.Errorf("parsing field %q: %w", fd.Name(), err)
	}
	m.Set(fd, v)
	return nil
}

// parseScalar converts one query or path value to a field's type, with the
// gateway's rules: strconv syntax for numbers and booleans, enum names or
// numbers, base64 for bytes, and plain values for the well-known wrappers.
func parseScalar(fd protoreflect.FieldDescriptor, s string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s), nil
	case protoreflect.BoolKind:
		v, err := strconv.ParseBool(s)
		return protoreflect.ValueOfBool(v), err
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		ev := values.ByName(protoreflect.Name(s))
		if ev == nil {
			n, err := strconv.Atoi(s)
			if err == nil {
				ev = values.ByNumber(protoreflect.EnumNumber(n))
			}
			if ev == nil {
				return protoreflect.Value{}, fmt.Errorf("%q is not a valid value", s)
			}
		}
		return protoreflect.ValueOfEnum(ev.Number()), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		v, err := strconv.ParseInt(s, 10, 32)
		return protoreflect.ValueOfInt32(int32(v)), err
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		v, err := strconv.ParseInt(s, 10, 64)
		return protoreflect.ValueOfInt64(v), err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		v, err := strconv.ParseUint(s, 10, 32)
		return protoreflect.ValueOfUint32(uint32(v)), err
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		v, err := strconv.ParseUint(s, 10, 64)
		return protoreflect.ValueOfUint64(v), err
	case protoreflect.FloatKind:
		v, err := strconv.ParseFloat(s, 32)
		return protoreflect.ValueOfFloat32(float32(v)), err
	case protoreflect.DoubleKind:
		v, err := strconv.ParseFloat(s, 64)
		return protoreflect.ValueOfFloat64(v), err
	case protoreflect.BytesKind:
		v, err := decodeBase64(s)
		return protoreflect.ValueOfBytes(v), err
	case protoreflect.MessageKind, protoreflect.GroupKind:
		msg, err := parseWellKnown(fd.Message(), s)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfMessage(msg.ProtoReflect()), nil
	}
	return protoreflect.Value{}, fmt.Errorf("unknown field kind: %v", fd.Kind())
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return base64.URLEncoding.DecodeString(s)
	}
	return b, nil
}

// parseWellKnown reads the message types a single query value can carry.
func parseWellKnown(md protoreflect.MessageDescriptor, s string) (proto.Message, error) {
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		ts := timestamppb.New(t)
		if !ts.IsValid() {
			return nil, fmt.Errorf("%s before 0001-01-01", s)
		}
		return ts, nil
	case "google.protobuf.Duration":
		d, err := time.ParseDuration(s)
		return durationpb.New(d), err
	case "google.protobuf.DoubleValue":
		v, err := strconv.ParseFloat(s, 64)
		return wrapperspb.Double(v), err
	case "google.protobuf.FloatValue":
		v, err := strconv.ParseFloat(s, 32)
		return wrapperspb.Float(float32(v)), err
	case "google.protobuf.Int64Value":
		v, err := strconv.ParseInt(s, 10, 64)
		return wrapperspb.Int64(v), err
	case "google.protobuf.Int32Value":
		v, err := strconv.ParseInt(s, 10, 32)
		return wrapperspb.Int32(int32(v)), err
	case "google.protobuf.UInt64Value":
		v, err := strconv.ParseUint(s, 10, 64)
		return wrapperspb.UInt64(v), err
	case "google.protobuf.UInt32Value":
		v, err := strconv.ParseUint(s, 10, 32)
		return wrapperspb.UInt32(uint32(v)), err
	case "google.protobuf.BoolValue":
		v, err := strconv.ParseBool(s)
		return wrapperspb.Bool(v), err
	case "google.protobuf.StringValue":
		return wrapperspb.String(s), nil
	case "google.protobuf.BytesValue":
		v, err := decodeBase64(s)
		return wrapperspb.Bytes(v), err
	case "google.protobuf.FieldMask":
		return &fieldmaskpb.FieldMask{Paths: strings.Split(s, ",")}, nil
	case "google.protobuf.Value":
		v := &structpb.Value{}
		return v, protojson.Unmarshal([]byte(s), v)
	case "google.protobuf.Struct":
		v := &structpb.Struct{}
		return v, protojson.Unmarshal([]byte(s), v)
	}
	return nil, fmt.Errorf("unsupported message type: %q", md.FullName())
}

// authorize checks the credential the operation's Auth column asks for and
// returns the call it authorizes, from the values of the Authorization
// header or gRPC metadata (the rules are the server's gRPC interceptor's,
// which serves both). Decoding comes first, as on the server,
// where the gateway decodes before the gRPC interceptor checks credentials;
// so a malformed body is reported before a missing credential.
func (s *Server) authorize(o *op.Operation, auth []string, req proto.Message) (*call, error) {
	c := &call{op: o}
	switch o.Auth {
	case op.None:
		return c, nil
	case op.Basic:
		if len(auth) != 1 {
			return nil, newError(Unauthenticated, "Server key required")
		}
		user, ok := parseBasicAuth(auth[0])
		if !ok || user != s.opts.ServerKey {
			return nil, newError(Unauthenticated, "Server key invalid")
		}
		return c, nil
	case op.BearerOrHTTPKey:
		if len(auth) == 0 {
			key, ok := httpKeyField(req)
			if !ok {
				return nil, newError(FailedPrecondition, "Auth token or HTTP key required")
			}
			if key == "" {
				return nil, newError(Unauthenticated, "Auth token or HTTP key required")
			}
			if key != s.opts.HTTPKey {
				return nil, newError(Unauthenticated, "HTTP key invalid")
			}
			c.httpKey = true
			return c, nil
		}
	default:
		if len(auth) == 0 {
			return nil, newError(Unauthenticated, "Auth token required")
		}
	}
	if len(auth) != 1 || !s.bearerSession(c, auth[0]) {
		return nil, newError(Unauthenticated, "Auth token invalid")
	}
	return c, nil
}

// bearerSession verifies an Authorization value of the form "Bearer
// <token>" and, if the session is valid, records it in c. It reports false
// for a malformed, expired, foreign or revoked token; raw handlers use it to
// apply their own rules around it, as the server's RPC route does.
func (s *Server) bearerSession(c *call, value string) bool {
	const prefix = "Bearer "
	if !strings.HasPrefix(value, prefix) {
		return false
	}
	claims, ok := parseToken(s.opts.EncryptionKey, value[len(prefix):], s.clock.now())
	if !ok {
		return false
	}
	s.mu.Lock()
	valid := s.st.validSession(claims.UserID, claims.ExpiresAt, claims.TokenID, s.tokenLifetime())
	s.mu.Unlock()
	if !valid {
		return false
	}
	c.userID, c.username, c.vars = claims.UserID, claims.Username, claims.Vars
	c.expiry, c.tokenID, c.issuedAt = claims.ExpiresAt, claims.TokenID, claims.IssuedAt
	return true
}

// httpKeyField returns the request's http_key field, which only the RPC
// request has.
func httpKeyField(req proto.Message) (string, bool) {
	if req == nil {
		return "", false
	}
	m := req.ProtoReflect()
	fd := m.Descriptor().Fields().ByName("http_key")
	if fd == nil || fd.Kind() != protoreflect.StringKind {
		return "", false
	}
	return m.Get(fd).String(), true
}

// parseBasicAuth returns the user of a "Basic" Authorization value. The
// password is ignored, as the server ignores it. The RPC route reads the
// runtime http_key from the user part too.
func parseBasicAuth(v string) (string, bool) {
	const prefix = "Basic "
	if !strings.HasPrefix(v, prefix) {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(v[len(prefix):])
	if err != nil {
		return "", false
	}
	user, _, ok := strings.Cut(string(b), ":")
	return user, ok
}

// writeMessage answers 200 with msg in the gateway's JSON: proto field
// names, enums as numbers, zero values omitted.
func (s *Server) writeMessage(w http.ResponseWriter, msg proto.Message) {
	b, err := marshalOptions.Marshal(msg)
	if err != nil {
		s.writeError(w, errorf(Internal, "nakamatest: encode %T: %v", msg, err))
		return
	}
	// protojson varies its whitespace on purpose; compacting makes the
	// output stable, which makes failures easier to read.
	var out bytes.Buffer
	if err := json.Compact(&out, b); err == nil {
		b = out.Bytes()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeError answers with err as the gateway reports a gRPC status.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	writeStatus(w, asError(err))
}

func writeStatus(w http.ResponseWriter, e *Error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // protojson does not escape <, > and &
	_ = enc.Encode(struct {
		Code    Code   `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
	}{e.Code, e.Message})
	w.Header().Set("Content-Type", "application/json")
	if e.Code == Unauthenticated {
		w.Header().Set("WWW-Authenticate", e.Message)
	}
	w.WriteHeader(e.Code.HTTPStatus())
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
