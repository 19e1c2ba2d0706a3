package nakama

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gonakama/nakama/op"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// route is what an operation's row says about its request message, resolved
// once per operation instead of on every call: the fields bound in the path
// and the body, and the literal pieces of the path between them.
type route struct {
	// pieces are the path's literal parts around the path fields:
	// len(pieces) == len(pathFields)+1.
	pieces     []string
	pathFields []protoreflect.FieldDescriptor
	// body is the field that is the body when Operation.Body names one.
	body protoreflect.FieldDescriptor
	err  error // a row that does not fit its request type
}

// bound reports whether fd travels in the path or as the body field.
func (r *route) bound(fd protoreflect.FieldDescriptor) bool {
	if fd == r.body {
		return true
	}
	for _, p := range r.pathFields {
		if p == fd {
			return true
		}
	}
	return false
}

var routes sync.Map // *Operation → *route

func init() {
	for i := range op.All {
		routes.Store(&op.All[i], newRoute(&op.All[i]))
	}
}

// routeOf returns the route of o, resolving it on first use for an
// operation outside the table (an adapter's own, or a test's).
func routeOf(o *Operation) *route {
	if r, ok := routes.Load(o); ok {
		return r.(*route)
	}
	r, _ := routes.LoadOrStore(o, newRoute(o))
	return r.(*route)
}

func newRoute(o *Operation) *route {
	r := &route{}
	fields := o.Request.ProtoReflect().Descriptor().Fields()
	rest := o.Path
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			r.pieces = append(r.pieces, rest)
			break
		}
		name := rest[i+1 : j]
		fd := fields.ByName(protoreflect.Name(name))
		if fd == nil {
			r.err = fmt.Errorf("nakama: no request field %q for the path of %s", name, o.Name)
			return r
		}
		r.pieces = append(r.pieces, rest[:i])
		r.pathFields = append(r.pathFields, fd)
		rest = rest[j+1:]
	}
	if o.Body != "" && o.Body != "*" {
		if r.body = fields.ByName(protoreflect.Name(o.Body)); r.body == nil {
			r.err = fmt.Errorf("nakama: no request field %q for the body of %s", o.Body, o.Name)
		}
	}
	return r
}

// pathValue returns the value of a path field, refusing one that would
// change the route: an empty or dot segment makes another path, which
// servers and proxies resolve. The error wraps ErrInvalidArgument and is not
// a *Error: the server never saw the call.
func pathValue(m protoreflect.Message, fd protoreflect.FieldDescriptor) (string, error) {
	v := m.Get(fd).String()
	switch v {
	case "":
		return "", fmt.Errorf("%w: %s must be set (nothing was sent)", ErrInvalidArgument, fd.Name())
	case ".", "..":
		return "", fmt.Errorf("%w: %s must not be %q (nothing was sent)", ErrInvalidArgument, fd.Name(), v)
	}
	return v, nil
}

// checkPathFields checks every path field of req, so that every adapter
// refuses the same local mistakes before anything is sent or retried.
func checkPathFields(o *Operation, req proto.Message) error {
	r := routeOf(o)
	if r.err != nil {
		return r.err
	}
	if len(r.pathFields) == 0 {
		return nil
	}
	m := req.ProtoReflect()
	for _, fd := range r.pathFields {
		if _, err := pathValue(m, fd); err != nil {
			return err
		}
	}
	return nil
}
