package nakama_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/op"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// wireAPIDir holds the server's published API description: the swagger file
// and a README whose table adds the operations the swagger file omits.
const wireAPIDir = "../shared/nakama-api"

// The parts of a swagger 2.0 document the coverage tests read.
type wireSwagger struct {
	Security []map[string][]string                 `json:"security"`
	Paths    map[string]map[string]json.RawMessage `json:"paths"`
}

type wireSwaggerOp struct {
	OperationID string                  `json:"operationId"`
	Security    *[]map[string][]string  `json:"security"`
	Parameters  []wireSwaggerParam      `json:"parameters"`
	Responses   map[string]wireResponse `json:"responses"`
}

type wireSwaggerParam struct {
	Name   string             `json:"name"`
	In     string             `json:"in"`
	Schema *wireSwaggerSchema `json:"schema"`
}

type wireResponse struct {
	Schema *wireSwaggerSchema `json:"schema"`
}

type wireSwaggerSchema struct {
	Ref        string                     `json:"$ref"`
	Type       string                     `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// wireSwaggerOperation is one operation of the swagger file, flattened.
type wireSwaggerOperation struct {
	Name, Method, Path string // Path as the swagger file writes it
	wireSwaggerOp
}

// wireReadAPIFile reads a file of wireAPIDir, skipping the test when it is
// absent.
func wireReadAPIFile(t *testing.T, name string) []byte {
	t.Helper()
	path := filepath.Join(wireAPIDir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(path)
		t.Skipf("the server's API description %s is absent (looked for %s); skipping the check against it", name, abs)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wireLoadSwagger(t *testing.T) (*wireSwagger, []wireSwaggerOperation) {
	t.Helper()
	var sw wireSwagger
	if err := json.Unmarshal(wireReadAPIFile(t, "apigrpc.swagger.json"), &sw); err != nil {
		t.Fatalf("apigrpc.swagger.json: %v", err)
	}
	var ops []wireSwaggerOperation
	for path, methods := range sw.Paths {
		for method, raw := range methods {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
			default:
				continue // path-level parameters and extensions
			}
			var o wireSwaggerOp
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("swagger %s %s: %v", method, path, err)
			}
			name, ok := strings.CutPrefix(o.OperationID, "Nakama_")
			if !ok {
				t.Fatalf("swagger %s %s: operationId %q does not start with Nakama_", method, path, o.OperationID)
			}
			ops = append(ops, wireSwaggerOperation{Name: name, Method: strings.ToUpper(method), Path: path, wireSwaggerOp: o})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name < ops[j].Name })
	if len(ops) == 0 {
		t.Fatal("apigrpc.swagger.json lists no operations")
	}
	return &sw, ops
}

// wireReadmeOperation is one row of the README's table.
type wireReadmeOperation struct{ Name, Method, Path string }

// wireLoadReadme reads the operations of the README's table: rows of the form
// | METHOD | /path | Name (remark) |, skipping rows that name no operation
// (the realtime socket).
func wireLoadReadme(t *testing.T) []wireReadmeOperation {
	t.Helper()
	var out []wireReadmeOperation
	sc := bufio.NewScanner(strings.NewReader(string(wireReadAPIFile(t, "README.md"))))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			continue
		}
		method, path := strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1])
		fields := strings.Fields(cells[2])
		if len(fields) == 0 || !strings.HasPrefix(path, "/") {
			continue // the header and separator rows
		}
		name := fields[0]
		if name[0] < 'A' || name[0] > 'Z' {
			continue // "realtime socket": not an operation of the API table
		}
		out = append(out, wireReadmeOperation{Name: name, Method: method, Path: path})
	}
	if len(out) == 0 {
		t.Fatal("README.md: no operation table found")
	}
	return out
}

// wireSnake turns a lowerCamel JSON name into its proto name: channelId ->
// channel_id.
func wireSnake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wireSnakePath rewrites the path parameters of a swagger path to proto
// names: /v2/group/{groupId}/join -> /v2/group/{group_id}/join.
func wireSnakePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "{" + wireSnake(s[1:len(s)-1]) + "}"
		}
	}
	return strings.Join(segs, "/")
}

// wireDefName is the swagger definition name of a message: apiSession for
// nakama.api.Session, WriteLeaderboardRecordRequestLeaderboardRecordWrite for
// a nested message, "" for google.protobuf.Empty (an inline empty object).
func wireDefName(md protoreflect.MessageDescriptor) string {
	if md.FullName() == "google.protobuf.Empty" {
		return ""
	}
	name := string(md.Name())
	nested := false
	for p := md.Parent(); p != nil; p = p.Parent() {
		pm, ok := p.(protoreflect.MessageDescriptor)
		if !ok {
			break
		}
		name = string(pm.Name()) + name
		nested = true
	}
	if nested {
		return name
	}
	pkg := string(md.ParentFile().Package())
	return pkg[strings.LastIndex(pkg, ".")+1:] + name
}

func wireRefName(s *wireSwaggerSchema) string {
	if s == nil {
		return ""
	}
	return strings.TrimPrefix(s.Ref, "#/definitions/")
}

// wireSwaggerAuth maps an operation's security requirements to the table's
// credential kinds.
func wireSwaggerAuth(sw *wireSwagger, o wireSwaggerOperation) op.Auth {
	if o.Name == "Healthcheck" {
		return op.None // documented with the default, but served to anyone
	}
	sec := sw.Security
	if o.Security != nil {
		sec = *o.Security
	}
	schemes := map[string]bool{}
	for _, req := range sec {
		for k := range req {
			schemes[k] = true
		}
	}
	switch {
	case len(schemes) == 0:
		return op.None
	case schemes["BasicAuth"] && len(schemes) == 1:
		return op.Basic
	case schemes["BearerJwt"] && schemes["HttpKeyAuth"] && len(schemes) == 2:
		return op.BearerOrHTTPKey
	case schemes["BearerJwt"] && len(schemes) == 1:
		return op.Bearer
	}
	return op.Auth(-1)
}

// wireFieldsByJSON indexes a message's fields by JSON name.
func wireFieldsByJSON(md protoreflect.MessageDescriptor) map[string]protoreflect.FieldDescriptor {
	m := map[string]protoreflect.FieldDescriptor{}
	fs := md.Fields()
	for i := range fs.Len() {
		m[fs.Get(i).JSONName()] = fs.Get(i)
	}
	return m
}

// wireCheckSwagger compares the rows with the swagger description and
// returns one line per disagreement.
func wireCheckSwagger(sw *wireSwagger, ops []wireSwaggerOperation, rows []op.Operation) []string {
	var probs []string
	bad := func(name, format string, args ...any) {
		probs = append(probs, name+": "+fmt.Sprintf(format, args...))
	}
	byName := map[string]*op.Operation{}
	for i := range rows {
		byName[rows[i].Name] = &rows[i]
	}
	for _, so := range ops {
		row := byName[so.Name]
		if row == nil {
			bad(so.Name, "the swagger file has %s %s but the table has no row", so.Method, so.Path)
			continue
		}
		if row.Method != so.Method {
			bad(so.Name, "method %s, swagger says %s", row.Method, so.Method)
		}
		if want := wireSnakePath(so.Path); row.Path != want {
			bad(so.Name, "path %s, swagger says %s", row.Path, want)
		}
		if want := wireSwaggerAuth(sw, so); row.Auth != want {
			bad(so.Name, "auth %s, swagger says %s", row.Auth, want)
		}

		req := row.Request.ProtoReflect().Descriptor()
		fields := wireFieldsByJSON(req)
		travels := map[string]bool{} // proto names of the fields the swagger file places
		body, bodies := "", 0
		var bodySchema *wireSwaggerSchema
		for _, p := range so.Parameters {
			switch p.In {
			case "body":
				bodies++
				bodySchema = p.Schema
				if p.Name == "body" {
					body = "*"
				} else {
					body = wireSnake(p.Name)
					travels[body] = true
				}
			case "path":
				travels[wireSnake(p.Name)] = true
				if req.Fields().ByName(protoreflect.Name(wireSnake(p.Name))) == nil {
					bad(so.Name, "path parameter %s is not a field of %s", p.Name, req.FullName())
				}
			case "query":
				fd := fields[p.Name]
				if fd == nil {
					bad(so.Name, "query parameter %s is not a field of %s", p.Name, req.FullName())
					continue
				}
				travels[string(fd.Name())] = true
			default:
				bad(so.Name, "parameter %s in %s, which the client never sends", p.Name, p.In)
			}
		}
		if bodies > 1 {
			bad(so.Name, "the swagger file has %d body parameters", bodies)
		}
		if row.Body != body {
			bad(so.Name, "body %q, swagger says %q", row.Body, body)
		}
		// The request message must be the one the swagger file describes.
		switch {
		case body == "*" && bodySchema != nil && bodySchema.Ref != "":
			if got := wireDefName(req); got != wireRefName(bodySchema) {
				bad(so.Name, "request %s (%s), swagger's body is %s", req.FullName(), got, wireRefName(bodySchema))
			}
		case body == "*" && bodySchema != nil:
			// An inline body: the request less its path fields.
			for name := range bodySchema.Properties {
				if fields[name] == nil {
					bad(so.Name, "body property %s is not a field of %s", name, req.FullName())
				}
			}
			for name, fd := range fields {
				if _, ok := bodySchema.Properties[name]; !ok && !travels[string(fd.Name())] {
					bad(so.Name, "field %s of %s travels neither in the path nor in the body", fd.Name(), req.FullName())
				}
			}
		case body != "":
			fd := req.Fields().ByName(protoreflect.Name(body))
			if fd == nil {
				bad(so.Name, "body field %s is not a field of %s", body, req.FullName())
			} else if fd.Message() != nil && bodySchema != nil && wireDefName(fd.Message()) != wireRefName(bodySchema) {
				bad(so.Name, "body field %s is a %s, swagger says %s", body, fd.Message().FullName(), wireRefName(bodySchema))
			}
		}
		if body != "*" {
			for _, fd := range fields {
				if !travels[string(fd.Name())] {
					bad(so.Name, "field %s of %s is not a parameter in the swagger file", fd.Name(), req.FullName())
				}
			}
		}

		ok := so.Responses["200"]
		want := wireRefName(ok.Schema)
		if ok.Schema == nil || (want == "" && (ok.Schema.Type != "object" || len(ok.Schema.Properties) != 0)) {
			bad(so.Name, "the swagger file's 200 answer is neither a message nor empty")
		}
		if got := wireDefName(row.Response.ProtoReflect().Descriptor()); got != want {
			bad(so.Name, "response %s, swagger says %q", row.Response.ProtoReflect().Descriptor().FullName(), want)
		}
	}
	return probs
}

// wireCheckReadme requires a row, with the same method and path, for every
// operation of the README's table, and that every row is in the README or
// the swagger file.
func wireCheckReadme(readme []wireReadmeOperation, ops []wireSwaggerOperation, rows []op.Operation) []string {
	var probs []string
	known := map[string]bool{}
	for _, so := range ops {
		known[so.Name] = true
	}
	for _, ro := range readme {
		known[ro.Name] = true
		i := slices.IndexFunc(rows, func(o op.Operation) bool { return o.Name == ro.Name })
		if i < 0 {
			probs = append(probs, fmt.Sprintf("%s: the README lists %s %s but the table has no row", ro.Name, ro.Method, ro.Path))
			continue
		}
		if rows[i].Method != ro.Method || rows[i].Path != wireSnakePath(ro.Path) {
			probs = append(probs, fmt.Sprintf("%s: row says %s %s, the README says %s %s", ro.Name,
				rows[i].Method, rows[i].Path, ro.Method, wireSnakePath(ro.Path)))
		}
	}
	for _, o := range rows {
		if !known[o.Name] {
			probs = append(probs, fmt.Sprintf("%s: a row for an operation neither the swagger file nor the README lists", o.Name))
		}
	}
	return probs
}

// wireCheckClient requires that every row is served by a method of the
// Client interface and that every method serves a row.
func wireCheckClient(rows []op.Operation, client reflect.Type) []string {
	var probs []string
	methods := map[string]bool{}
	for m := range client.Methods() {
		methods[m.Name] = true
	}
	served := map[string]bool{}
	for _, o := range rows {
		served[o.ClientName()] = true
		if !methods[o.ClientName()] {
			probs = append(probs, fmt.Sprintf("%s: the Client interface has no method %s", o.Name, o.ClientName()))
		}
		if o.VariantOf != "" && !slices.ContainsFunc(rows, func(p op.Operation) bool { return p.Name == o.VariantOf }) {
			probs = append(probs, fmt.Sprintf("%s: a variant of %s, which has no row", o.Name, o.VariantOf))
		}
	}
	for m := range methods {
		row := m
		if m == "RpcFuncHTTPKey" {
			row = "RpcFunc" // the same operation, authenticated by the http key
		}
		if !served[row] {
			probs = append(probs, fmt.Sprintf("Client.%s: no row of the operation table", m))
		}
	}
	sort.Strings(probs)
	return probs
}

func wireReport(t *testing.T, probs []string) {
	t.Helper()
	for _, p := range probs {
		t.Error(p)
	}
}

// TestCoverageSwagger checks every row of the operation table against the
// server's swagger description.
func TestCoverageSwagger(t *testing.T) {
	sw, ops := wireLoadSwagger(t)
	wireReport(t, wireCheckSwagger(sw, ops, op.All))
	t.Logf("%d swagger operations checked", len(ops))
}

// TestCoverageReadme checks the table against the README's list, which adds
// the routes the swagger file omits (ValidatePurchaseSamsung).
func TestCoverageReadme(t *testing.T) {
	_, ops := wireLoadSwagger(t)
	readme := wireLoadReadme(t)
	if !slices.ContainsFunc(readme, func(r wireReadmeOperation) bool { return r.Name == "ValidatePurchaseSamsung" }) {
		t.Error("README table parsed without ValidatePurchaseSamsung; has its format changed?")
	}
	wireReport(t, wireCheckReadme(readme, ops, op.All))
}

// TestCoverageClient checks that the table and the Client interface agree.
func TestCoverageClient(t *testing.T) {
	wireReport(t, wireCheckClient(op.All, reflect.TypeFor[nakama.Client]()))
	if got, want := len(nakama.Operations()), len(op.All); got != want {
		t.Errorf("Operations() has %d rows, the table %d", got, want)
	}
}

// TestCoverageChecksCanFail breaks copies of the table in the ways the
// coverage tests exist to catch, and requires each to be reported.
func TestCoverageChecksCanFail(t *testing.T) {
	sw, ops := wireLoadSwagger(t)
	readme := wireLoadReadme(t)
	clientType := reflect.TypeFor[nakama.Client]()

	edit := func(name string, f func(*op.Operation)) []op.Operation {
		rows := slices.Clone(op.All)
		i := slices.IndexFunc(rows, func(o op.Operation) bool { return o.Name == name })
		if i < 0 {
			t.Fatalf("no row %s", name)
		}
		f(&rows[i])
		return rows
	}
	drop := func(name string) []op.Operation {
		return slices.DeleteFunc(slices.Clone(op.All), func(o op.Operation) bool { return o.Name == name })
	}
	cases := []struct {
		name  string
		rows  []op.Operation
		check func([]op.Operation) []string
		want  string // a problem line must start with it
	}{
		{"path", edit("JoinGroup", func(o *op.Operation) { o.Path = "/v2/group/{id}/join" }), nil, "JoinGroup: path"},
		{"path param name", edit("ListChannelMessages", func(o *op.Operation) { o.Path = "/v2/channel/{channelId}" }), nil, "ListChannelMessages: path"},
		{"method", edit("WriteTournamentRecord", func(o *op.Operation) { o.Method = http.MethodPost }), nil, "WriteTournamentRecord: method"},
		{"body star", edit("AuthenticateDevice", func(o *op.Operation) { o.Body = "*" }), nil, "AuthenticateDevice: body"},
		{"body none", edit("LinkFacebook", func(o *op.Operation) { o.Body = "" }), nil, "LinkFacebook: body"},
		{"auth basic", edit("SessionRefresh", func(o *op.Operation) { o.Auth = op.Bearer }), nil, "SessionRefresh: auth"},
		{"auth rpc", edit("RpcFunc", func(o *op.Operation) { o.Auth = op.Bearer }), nil, "RpcFunc: auth"},
		{"auth health", edit("Healthcheck", func(o *op.Operation) { o.Auth = op.Bearer }), nil, "Healthcheck: auth"},
		{"response", edit("GetAccount", func(o *op.Operation) { o.Response = &api.User{} }), nil, "GetAccount: response"},
		{"response empty", edit("DeleteGroup", func(o *op.Operation) { o.Response = &api.Group{} }), nil, "DeleteGroup: response"},
		{"request", edit("ListFriends", func(o *op.Operation) { o.Request = &api.ListFriendsOfFriendsRequest{} }), nil, "ListFriends: "},
		{"request body", edit("LinkSteam", func(o *op.Operation) { o.Request = &api.AccountSteam{} }), nil, "LinkSteam: request"},
		{"missing row", drop("ListStorageObjects2"), nil, "ListStorageObjects2: "},
		{"missing samsung", drop("ValidatePurchaseSamsung"), func(rows []op.Operation) []string { return wireCheckReadme(readme, ops, rows) }, "ValidatePurchaseSamsung: "},
		{"readme path", edit("ValidatePurchaseSamsung", func(o *op.Operation) { o.Path = "/v2/iap/samsung" }), func(rows []op.Operation) []string { return wireCheckReadme(readme, ops, rows) }, "ValidatePurchaseSamsung: "},
		{"invented row", append(slices.Clone(op.All), op.Operation{Name: "FrobnicateGroup", Method: "POST", Path: "/v2/frob", Request: &api.Rpc{}, Response: &api.Rpc{}}),
			func(rows []op.Operation) []string { return wireCheckReadme(readme, ops, rows) }, "FrobnicateGroup: "},
		{"row without method", append(slices.Clone(op.All), op.Operation{Name: "FrobnicateGroup", Request: &api.Rpc{}, Response: &api.Rpc{}}),
			func(rows []op.Operation) []string { return wireCheckClient(rows, clientType) }, "FrobnicateGroup: "},
		{"method without row", drop("GetMatchmakerStats"), func(rows []op.Operation) []string { return wireCheckClient(rows, clientType) }, "Client.GetMatchmakerStats: "},
		{"variant of nothing", edit("RpcFunc2", func(o *op.Operation) { o.VariantOf = "RpcFunction" }),
			func(rows []op.Operation) []string { return wireCheckClient(rows, clientType) }, "RpcFunc2: "},
	}
	for _, c := range cases {
		check := c.check
		if check == nil {
			check = func(rows []op.Operation) []string { return wireCheckSwagger(sw, ops, rows) }
		}
		probs := check(c.rows)
		if !slices.ContainsFunc(probs, func(p string) bool { return strings.HasPrefix(p, c.want) }) {
			t.Errorf("%s: breaking the table went unnoticed; problems reported: %q", c.name, probs)
		}
	}
}
