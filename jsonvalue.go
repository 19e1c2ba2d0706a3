package nakama

// The client reads the few JSON documents that are not protobuf messages
// (REST error bodies, JWT claims) through protojson's google.protobuf.Struct,
// which it links anyway, rather than encoding/json, whose reflection a
// browser build would otherwise carry (about 90 kB gzipped).

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/types/known/structpb"
)

// decodeJSONObject decodes a JSON object. A null document is an object
// without members, as encoding/json leaves its target alone for it.
func decodeJSONObject(b []byte) (map[string]*structpb.Value, error) {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil, nil
	}
	var s structpb.Struct
	if err := unmarshalOptions.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return s.GetFields(), nil
}

// isJSONNull reports whether v is null, which leaves a field unset.
func isJSONNull(v *structpb.Value) bool {
	_, null := v.GetKind().(*structpb.Value_NullValue)
	return null
}

func jsonString(name string, v *structpb.Value) (string, error) {
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok {
		return "", fmt.Errorf("%s is not a string", name)
	}
	return s.StringValue, nil
}

func jsonInt(name string, v *structpb.Value) (int64, error) {
	n, ok := v.GetKind().(*structpb.Value_NumberValue)
	if !ok || n.NumberValue != math.Trunc(n.NumberValue) || math.Abs(n.NumberValue) > 1<<63 {
		return 0, fmt.Errorf("%s is not an integer", name)
	}
	if n.NumberValue == 1<<63 {
		// math.MaxInt64 itself, which a float64 rounds up to 2^63.
		return math.MaxInt64, nil
	}
	return int64(n.NumberValue), nil
}

// decodeClaims fills c from a JWT's JSON claims as encoding/json would:
// unknown claims are ignored, a null one is left unset, and one of the
// wrong type is an error.
func decodeClaims(payload []byte, c *claims) error {
	fields, err := decodeJSONObject(payload)
	if err != nil {
		return err
	}
	for k, v := range fields {
		if isJSONNull(v) {
			continue
		}
		switch k {
		case "tid":
			c.TokenID, err = jsonString(k, v)
		case "uid":
			c.UserID, err = jsonString(k, v)
		case "usn":
			c.Username, err = jsonString(k, v)
		case "exp":
			c.Exp, err = jsonInt(k, v)
		case "iat":
			c.Iat, err = jsonInt(k, v)
		case "vrs":
			obj, ok := v.GetKind().(*structpb.Value_StructValue)
			if !ok {
				return errors.New("vrs is not an object")
			}
			c.Vars = make(map[string]string, len(obj.StructValue.GetFields()))
			for vk, vv := range obj.StructValue.GetFields() {
				if c.Vars[vk], err = jsonString("vrs."+vk, vv); err != nil {
					return err
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
