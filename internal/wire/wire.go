// Package wire encodes and decodes realtime envelopes in the two formats the
// Nakama server speaks on its socket: protobuf (binary frames) and JSON (text
// frames).
//
// JSON is what the server's protojson marshaler writes: proto field names
// (match_id, not matchId), enum values as numbers, int64 values as strings,
// bytes as standard base64, and unpopulated fields left out. The server
// decodes with protojson defaults, so it accepts either field-name spelling.
//
// The match data messages, the hot path of a realtime game, have hand-written
// codecs that build no intermediate envelope on encode and skip protojson's
// reflection on decode; every other message goes through the protobuf
// runtime. The hand-written decoders fall back to the runtime (protojson or
// proto.Unmarshal) whenever a frame holds anything they do not expect, so
// they never change what is accepted or what it decodes to.
package wire

import (
	"encoding/base64"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Format is a socket wire format.
type Format uint8

const (
	// Protobuf frames are binary WebSocket messages holding a serialised
	// rtapi.Envelope.
	Protobuf Format = iota
	// JSON frames are text WebSocket messages holding the protojson form of
	// an rtapi.Envelope.
	JSON
)

// String returns the format's name as the server's format query parameter
// spells it.
func (f Format) String() string {
	if f == JSON {
		return "json"
	}
	return "protobuf"
}

var (
	jsonMarshal   = protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true}
	jsonUnmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
	pbMarshal     = proto.MarshalOptions{}
	pbUnmarshal   = proto.UnmarshalOptions{}
)

// Append appends env's encoding to buf.
func (f Format) Append(buf []byte, env *rtapi.Envelope) ([]byte, error) {
	if f == JSON {
		return jsonMarshal.MarshalAppend(buf, env)
	}
	return pbMarshal.MarshalAppend(buf, env)
}

// Decode decodes one frame. Fields the message type does not know are
// ignored, so a newer server's additions do not break an older client; a
// message type it does not know leaves the envelope's Message nil.
func (f Format) Decode(b []byte) (*rtapi.Envelope, error) {
	if f == JSON {
		if env, ok := decodeMatchDataJSON(b); ok {
			return env, nil
		}
		env := &rtapi.Envelope{}
		if err := jsonUnmarshal.Unmarshal(b, env); err != nil {
			return nil, err
		}
		return env, nil
	}
	if env, ok := decodeMatchDataProto(b); ok {
		return env, nil
	}
	env := &rtapi.Envelope{}
	if err := pbUnmarshal.Unmarshal(b, env); err != nil {
		return nil, err
	}
	return env, nil
}

// MatchDataSend is the content of a match data send envelope.
type MatchDataSend struct {
	MatchID   string
	OpCode    int64
	Data      []byte
	Presences []*rtapi.UserPresence
	Reliable  bool
}

// AppendMatchDataSend appends the encoding of an envelope holding m, with no
// cid (the server answers match data with nothing), to buf. It produces what
// Append produces for the same envelope, up to field order and whitespace,
// and fails where Append fails: on a string that is not valid UTF-8, which
// the server would take for a malformed frame.
func (f Format) AppendMatchDataSend(buf []byte, m *MatchDataSend) ([]byte, error) {
	if err := validMatchDataSend(m); err != nil {
		return buf, err
	}
	if f == JSON {
		return appendMatchDataSendJSON(buf, m), nil
	}
	return appendMatchDataSendProto(buf, m), nil
}

// ErrInvalidUTF8 reports a string field that is not valid UTF-8.
var ErrInvalidUTF8 = errors.New("wire: string field contains invalid UTF-8")

func validMatchDataSend(m *MatchDataSend) error {
	if !utf8.ValidString(m.MatchID) {
		return ErrInvalidUTF8
	}
	for _, p := range m.Presences {
		if !utf8.ValidString(p.GetUserId()) || !utf8.ValidString(p.GetSessionId()) ||
			!utf8.ValidString(p.GetUsername()) || !utf8.ValidString(p.GetStatus().GetValue()) {
			return ErrInvalidUTF8
		}
	}
	return nil
}

// Protobuf field numbers used by the hand-written encoder.
const (
	envelopeMatchDataSend = 15 // Envelope.match_data_send

	mdsMatchID   = 1
	mdsOpCode    = 2
	mdsData      = 3
	mdsPresences = 4
	mdsReliable  = 5

	upUserID      = 1
	upSessionID   = 2
	upUsername    = 3
	upPersistence = 4
	upStatus      = 5
)

func appendMatchDataSendProto(buf []byte, m *MatchDataSend) []byte {
	buf = protowire.AppendTag(buf, envelopeMatchDataSend, protowire.BytesType)
	buf = protowire.AppendVarint(buf, uint64(sizeMatchDataSend(m)))
	if m.MatchID != "" {
		buf = protowire.AppendTag(buf, mdsMatchID, protowire.BytesType)
		buf = protowire.AppendString(buf, m.MatchID)
	}
	if m.OpCode != 0 {
		buf = protowire.AppendTag(buf, mdsOpCode, protowire.VarintType)
		buf = protowire.AppendVarint(buf, uint64(m.OpCode))
	}
	if len(m.Data) > 0 {
		buf = protowire.AppendTag(buf, mdsData, protowire.BytesType)
		buf = protowire.AppendBytes(buf, m.Data)
	}
	for _, p := range m.Presences {
		buf = protowire.AppendTag(buf, mdsPresences, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(sizePresence(p)))
		buf = appendPresenceProto(buf, p)
	}
	if m.Reliable {
		buf = protowire.AppendTag(buf, mdsReliable, protowire.VarintType)
		buf = protowire.AppendVarint(buf, 1)
	}
	return buf
}

func sizeMatchDataSend(m *MatchDataSend) int {
	n := 0
	if m.MatchID != "" {
		n += 1 + protowire.SizeBytes(len(m.MatchID))
	}
	if m.OpCode != 0 {
		n += 1 + protowire.SizeVarint(uint64(m.OpCode))
	}
	if len(m.Data) > 0 {
		n += 1 + protowire.SizeBytes(len(m.Data))
	}
	for _, p := range m.Presences {
		n += 1 + protowire.SizeBytes(sizePresence(p))
	}
	if m.Reliable {
		n += 2
	}
	return n
}

func sizePresence(p *rtapi.UserPresence) int {
	n := 0
	if s := p.GetUserId(); s != "" {
		n += 1 + protowire.SizeBytes(len(s))
	}
	if s := p.GetSessionId(); s != "" {
		n += 1 + protowire.SizeBytes(len(s))
	}
	if s := p.GetUsername(); s != "" {
		n += 1 + protowire.SizeBytes(len(s))
	}
	if p.GetPersistence() {
		n += 2
	}
	if st := p.GetStatus(); st != nil {
		n += 1 + protowire.SizeBytes(sizeStringValue(st.GetValue()))
	}
	return n
}

func sizeStringValue(s string) int {
	if s == "" {
		return 0
	}
	return 1 + protowire.SizeBytes(len(s))
}

func appendPresenceProto(buf []byte, p *rtapi.UserPresence) []byte {
	if s := p.GetUserId(); s != "" {
		buf = protowire.AppendTag(buf, upUserID, protowire.BytesType)
		buf = protowire.AppendString(buf, s)
	}
	if s := p.GetSessionId(); s != "" {
		buf = protowire.AppendTag(buf, upSessionID, protowire.BytesType)
		buf = protowire.AppendString(buf, s)
	}
	if s := p.GetUsername(); s != "" {
		buf = protowire.AppendTag(buf, upUsername, protowire.BytesType)
		buf = protowire.AppendString(buf, s)
	}
	if p.GetPersistence() {
		buf = protowire.AppendTag(buf, upPersistence, protowire.VarintType)
		buf = protowire.AppendVarint(buf, 1)
	}
	if st := p.GetStatus(); st != nil {
		buf = protowire.AppendTag(buf, upStatus, protowire.BytesType)
		v := st.GetValue()
		buf = protowire.AppendVarint(buf, uint64(sizeStringValue(v)))
		if v != "" {
			buf = protowire.AppendTag(buf, 1, protowire.BytesType)
			buf = protowire.AppendString(buf, v)
		}
	}
	return buf
}

func appendMatchDataSendJSON(buf []byte, m *MatchDataSend) []byte {
	buf = append(buf, `{"match_data_send":{`...)
	sep := false
	field := func(name string) {
		if sep {
			buf = append(buf, ',')
		}
		sep = true
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, `":`...)
	}
	if m.MatchID != "" {
		field("match_id")
		buf = appendJSONString(buf, m.MatchID)
	}
	if m.OpCode != 0 {
		field("op_code")
		buf = append(buf, '"')
		buf = strconv.AppendInt(buf, m.OpCode, 10)
		buf = append(buf, '"')
	}
	if len(m.Data) > 0 {
		field("data")
		buf = append(buf, '"')
		buf = base64.StdEncoding.AppendEncode(buf, m.Data)
		buf = append(buf, '"')
	}
	if len(m.Presences) > 0 {
		field("presences")
		buf = append(buf, '[')
		for i, p := range m.Presences {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendPresenceJSON(buf, p)
		}
		buf = append(buf, ']')
	}
	if m.Reliable {
		field("reliable")
		buf = append(buf, "true"...)
	}
	return append(buf, "}}"...)
}

func appendPresenceJSON(buf []byte, p *rtapi.UserPresence) []byte {
	buf = append(buf, '{')
	sep := false
	field := func(name string) {
		if sep {
			buf = append(buf, ',')
		}
		sep = true
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, `":`...)
	}
	if s := p.GetUserId(); s != "" {
		field("user_id")
		buf = appendJSONString(buf, s)
	}
	if s := p.GetSessionId(); s != "" {
		field("session_id")
		buf = appendJSONString(buf, s)
	}
	if s := p.GetUsername(); s != "" {
		field("username")
		buf = appendJSONString(buf, s)
	}
	if p.GetPersistence() {
		field("persistence")
		buf = append(buf, "true"...)
	}
	if st := p.GetStatus(); st != nil {
		field("status")
		buf = appendJSONString(buf, st.GetValue())
	}
	return append(buf, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// errFallback makes the hand-written decoder give up and let protojson try.
var errFallback = errors.New("wire: not a plain match data frame")

// decodeMatchDataJSON decodes {"cid":..., "match_data":{...}} by hand. ok is
// false when the frame is anything else, or holds something the fast path
// does not handle (escapes it cannot undo, nulls, camelCase names, unknown
// fields); protojson then decodes it.
func decodeMatchDataJSON(b []byte) (*rtapi.Envelope, bool) {
	d := decoder{b: b}
	var r matchDataFields
	seen := false
	err := d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "cid":
			r.cid, err = d.str()
		case "match_data":
			seen = true
			err = d.object(func(key []byte) error { return d.matchDataField(key, &r) })
		default:
			err = errFallback
		}
		return err
	})
	if err != nil || !seen {
		return nil, false
	}
	d.ws()
	if d.i != len(d.b) {
		return nil, false
	}
	return r.envelope(), true
}

type decoder struct {
	b []byte
	i int
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) consume(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object reads an object, calling field for each key with the decoder
// positioned at the value, which field must consume.
func (d *decoder) object(field func(key []byte) error) error {
	if !d.consume('{') {
		return errFallback
	}
	if d.consume('}') {
		return nil
	}
	var seen [8][]byte
	n := 0
	for {
		key, err := d.rawStr()
		if err != nil {
			return err
		}
		if !d.consume(':') {
			return errFallback
		}
		// A repeated key is legal JSON that protojson rejects: leave it
		// to protojson, so both paths fail alike.
		if n == len(seen) {
			return errFallback
		}
		for _, k := range seen[:n] {
			if string(k) == string(key) {
				return errFallback
			}
		}
		seen[n] = key
		n++
		if err := field(key); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		return errFallback
	}
}

// rawStr reads a string with no escapes and returns its bytes, which alias
// the frame.
func (d *decoder) rawStr() ([]byte, error) {
	if !d.consume('"') {
		return nil, errFallback
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			s := d.b[start:d.i]
			d.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			return nil, errFallback
		}
		d.i++
	}
	return nil, errFallback
}

// str reads a string, undoing escapes; it aliases the frame when the
// string has none.
func (d *decoder) str() ([]byte, error) {
	if !d.consume('"') {
		return nil, errFallback
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !utf8.Valid(s) {
				return nil, errFallback
			}
			return s, nil
		case c == '\\':
			return d.escapedStr(start)
		case c < 0x20:
			return nil, errFallback
		}
		d.i++
	}
	return nil, errFallback
}

func (d *decoder) escapedStr(start int) ([]byte, error) {
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return nil, errFallback
			}
			return out, nil
		case c < 0x20:
			return nil, errFallback
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.b) {
			return nil, errFallback
		}
		e := d.b[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, errFallback
			}
			if utf16IsSurrogate(r) {
				// Needs a low surrogate right after; anything else is
				// left to protojson.
				if d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
					return nil, errFallback
				}
				d.i += 2
				r2, ok := d.hex4()
				if !ok || r >= 0xdc00 || r2 < 0xdc00 || r2 > 0xdfff {
					return nil, errFallback
				}
				r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, errFallback
		}
	}
	return nil, errFallback
}

func utf16IsSurrogate(r rune) bool { return r >= 0xd800 && r < 0xe000 }

func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

func (d *decoder) boolean() (bool, error) {
	d.ws()
	switch {
	case hasPrefix(d.b[d.i:], "true"):
		d.i += 4
		return true, nil
	case hasPrefix(d.b[d.i:], "false"):
		d.i += 5
		return false, nil
	}
	return false, errFallback
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// int64 reads an int64 written as protojson writes it (a string) or as a
// plain integer.
func (d *decoder) int64() (int64, error) {
	d.ws()
	quoted := d.i < len(d.b) && d.b[d.i] == '"'
	if quoted {
		d.i++
	}
	start := d.i
	for d.i < len(d.b) && (d.b[d.i] == '-' || (d.b[d.i] >= '0' && d.b[d.i] <= '9')) {
		d.i++
	}
	digits := d.b[start:d.i]
	if quoted && !d.consumeRaw('"') {
		return 0, errFallback
	}
	if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') || (len(digits) > 2 && digits[0] == '-' && digits[1] == '0') {
		return 0, errFallback
	}
	v, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 0, errFallback
	}
	return v, nil
}

func (d *decoder) consumeRaw(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) bytes() ([]byte, error) {
	raw, err := d.rawStr()
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, nil
	}
	enc := base64.StdEncoding
	if len(raw)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	for _, c := range raw {
		if c == '-' || c == '_' {
			return nil, errFallback // URL alphabet: protojson handles it
		}
	}
	out := make([]byte, enc.DecodedLen(len(raw)))
	n, err := enc.Decode(out, raw)
	if err != nil {
		return nil, errFallback
	}
	return out[:n], nil
}

func (d *decoder) matchDataField(key []byte, r *matchDataFields) error {
	var err error
	switch string(key) {
	case "match_id":
		r.matchID, err = d.str()
	case "presence":
		r.hasPresence = true
		err = d.object(func(key []byte) error { return d.presenceField(key, r) })
	case "op_code":
		r.opCode, err = d.int64()
	case "data":
		// Decoded into a slice of its own, which the envelope keeps.
		r.data, err = d.bytes()
		r.dataOwned = true
	case "reliable":
		r.reliable, err = d.boolean()
	default:
		err = errFallback
	}
	return err
}

func (d *decoder) presenceField(key []byte, r *matchDataFields) error {
	var err error
	switch string(key) {
	case "user_id":
		r.userID, err = d.str()
	case "session_id":
		r.sessionID, err = d.str()
	case "username":
		r.username, err = d.str()
	case "persistence":
		r.persistence, err = d.boolean()
	default:
		// status is a wrapper type with null semantics: protojson.
		err = errFallback
	}
	return err
}
