package wire

import (
	"strings"
	"unicode/utf8"

	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Protobuf field numbers read by the hand-written decoder
// (rtapi/realtime.proto; UserPresence's are with the encoder's).
const (
	envelopeCid       = 1
	envelopeMatchData = 14 // Envelope.match_data

	mdMatchID  = 1
	mdPresence = 2
	mdOpCode   = 3
	mdData     = 4
	mdReliable = 5

	stringValueValue = 1 // google.protobuf.StringValue.value
)

// matchDataFields is a match data envelope as either hand-written decoder
// reads it from a frame: its strings, and its data unless dataOwned, still
// alias the frame.
type matchDataFields struct {
	cid, matchID                []byte
	opCode                      int64
	data                        []byte
	dataOwned                   bool
	reliable                    bool
	hasPresence                 bool
	userID, sessionID, username []byte
	persistence                 bool
	hasStatus                   bool
	status                      []byte
}

// decodeMatchDataProto decodes an envelope holding match data by hand. ok
// is false when the frame holds anything else, or anything the fast path
// does not reproduce exactly as proto.Unmarshal would: an unknown field, a
// field with an unexpected wire type, a message field given twice (which
// the runtime merges), invalid UTF-8 (which it rejects), a malformed
// varint or length. Scalars given twice take the last value, as in the
// runtime.
func decodeMatchDataProto(b []byte) (*rtapi.Envelope, bool) {
	var r matchDataFields
	var md []byte
	seen := false
	for len(b) > 0 {
		num, v, n := pbBytesField(b)
		if n < 0 {
			return nil, false
		}
		b = b[n:]
		switch num {
		case envelopeCid:
			if !utf8.Valid(v) {
				return nil, false
			}
			r.cid = v
		case envelopeMatchData:
			if seen {
				return nil, false
			}
			seen, md = true, v
		default:
			return nil, false
		}
	}
	if !seen || !r.matchData(md) {
		return nil, false
	}
	return r.envelope(), true
}

// pbBytesField reads one length-delimited field, the only wire type of an
// envelope's known fields. n is negative for anything else.
func pbBytesField(b []byte) (num protowire.Number, v []byte, n int) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || typ != protowire.BytesType {
		return 0, nil, -1
	}
	v, m := protowire.ConsumeBytes(b[n:])
	if m < 0 {
		return 0, nil, -1
	}
	return num, v, n + m
}

// pbField reads one varint or length-delimited field; n is negative for
// any other wire type or a malformed field.
func pbField(b []byte) (num protowire.Number, typ protowire.Type, x uint64, v []byte, n int) {
	num, typ, n = protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, nil, -1
	}
	var m int
	switch typ {
	case protowire.VarintType:
		x, m = protowire.ConsumeVarint(b[n:])
	case protowire.BytesType:
		v, m = protowire.ConsumeBytes(b[n:])
	default:
		return 0, 0, 0, nil, -1
	}
	if m < 0 {
		return 0, 0, 0, nil, -1
	}
	return num, typ, x, v, n + m
}

// pbString checks a string field's wire type and UTF-8, as the runtime
// does for proto3 strings.
func pbString(typ protowire.Type, v []byte) bool {
	return typ == protowire.BytesType && utf8.Valid(v)
}

// pbFields calls f for each varint or length-delimited field of b, in
// order; false when a field is malformed, of another wire type, or refused
// by f.
func pbFields(b []byte, f func(num protowire.Number, typ protowire.Type, x uint64, v []byte) bool) bool {
	for len(b) > 0 {
		num, typ, x, v, n := pbField(b)
		if n < 0 || !f(num, typ, x, v) {
			return false
		}
		b = b[n:]
	}
	return true
}

func (r *matchDataFields) matchData(b []byte) bool {
	return pbFields(b, func(num protowire.Number, typ protowire.Type, x uint64, v []byte) bool {
		switch {
		case num == mdMatchID && pbString(typ, v):
			r.matchID = v
		case num == mdPresence && typ == protowire.BytesType && !r.hasPresence:
			r.hasPresence = true
			return r.presence(v)
		case num == mdOpCode && typ == protowire.VarintType:
			r.opCode = int64(x)
		case num == mdData && typ == protowire.BytesType:
			r.data = v
		case num == mdReliable && typ == protowire.VarintType:
			r.reliable = protowire.DecodeBool(x)
		default:
			return false
		}
		return true
	})
}

func (r *matchDataFields) presence(b []byte) bool {
	return pbFields(b, func(num protowire.Number, typ protowire.Type, x uint64, v []byte) bool {
		switch {
		case num == upUserID && pbString(typ, v):
			r.userID = v
		case num == upSessionID && pbString(typ, v):
			r.sessionID = v
		case num == upUsername && pbString(typ, v):
			r.username = v
		case num == upPersistence && typ == protowire.VarintType:
			r.persistence = protowire.DecodeBool(x)
		case num == upStatus && typ == protowire.BytesType && !r.hasStatus:
			r.hasStatus = true
			return r.statusValue(v)
		default:
			return false
		}
		return true
	})
}

func (r *matchDataFields) statusValue(b []byte) bool {
	return pbFields(b, func(num protowire.Number, typ protowire.Type, _ uint64, v []byte) bool {
		if num != stringValueValue || !pbString(typ, v) {
			return false
		}
		r.status = v
		return true
	})
}

// matchDataEnvelope holds the messages of one decoded match data envelope,
// so that they cost one allocation rather than four.
type matchDataEnvelope struct {
	env      rtapi.Envelope
	msg      rtapi.Envelope_MatchData
	md       rtapi.MatchData
	presence rtapi.UserPresence
}

// envelope builds the envelope, copying out of the frame: the strings
// share one allocation, the data has its own (the handler may keep or
// change it).
func (r *matchDataFields) envelope() *rtapi.Envelope {
	e := &matchDataEnvelope{}
	strs := [...][]byte{r.cid, r.matchID, r.userID, r.sessionID, r.username}
	var sb strings.Builder
	sb.Grow(len(r.cid) + len(r.matchID) + len(r.userID) + len(r.sessionID) + len(r.username))
	for _, s := range strs {
		sb.Write(s)
	}
	all := sb.String()
	var out [len(strs)]string
	for i, s := range strs {
		out[i], all = all[:len(s)], all[len(s):]
	}
	e.env.Cid = out[0]
	e.md.MatchId = out[1]
	e.md.OpCode = r.opCode
	switch {
	case r.dataOwned:
		e.md.Data = r.data
	case len(r.data) > 0:
		// nil when empty, as the runtime leaves a proto3 bytes field.
		e.md.Data = append([]byte(nil), r.data...)
	}
	e.md.Reliable = r.reliable
	if r.hasPresence {
		p := &e.presence
		p.UserId, p.SessionId, p.Username = out[2], out[3], out[4]
		p.Persistence = r.persistence
		if r.hasStatus {
			p.Status = &wrapperspb.StringValue{Value: string(r.status)}
		}
		e.md.Presence = p
	}
	e.msg.MatchData = &e.md
	e.env.Message = &e.msg
	return &e.env
}
