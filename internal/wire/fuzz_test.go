package wire

import (
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Seeds shared by the envelope fuzzers: one envelope of each shape the
// server sends often, in both encodings.
var fuzzSeedEnvelopes = []*rtapi.Envelope{
	{Cid: "1", Message: &rtapi.Envelope_Pong{Pong: &rtapi.Pong{}}},
	{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{MatchId: "m.node", OpCode: 3, Data: []byte{0, 1, 0xff},
		Reliable: true, Presence: &rtapi.UserPresence{UserId: "u", SessionId: "s", Username: "n", Status: wrapperspb.String("st")}}}},
	{Cid: "7", Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{Id: "fn", Payload: `{"a":"\u00e9"}`}}},
	{Message: &rtapi.Envelope_ChannelMessage{ChannelMessage: &api.ChannelMessage{ChannelId: "2...room", MessageId: "id",
		Code: wrapperspb.Int32(0), Content: `{"m":1}`, CreateTime: timestamppb.New(time.Unix(1700000000, 0)),
		Persistent: wrapperspb.Bool(true)}}},
	{Message: &rtapi.Envelope_Notifications{Notifications: &rtapi.Notifications{Notifications: []*api.Notification{
		{Id: "n", Subject: "s", Content: "{}", Code: 1, Persistent: true}}}}},
	{Cid: "2", Message: &rtapi.Envelope_Error{Error: &rtapi.Error{Code: 3, Message: "bad", Context: map[string]string{"k": "v"}}}},
	{Message: &rtapi.Envelope_MatchmakerMatched{MatchmakerMatched: &rtapi.MatchmakerMatched{Ticket: "t", Users: []*rtapi.MatchmakerMatched_MatchmakerUser{
		{Presence: &rtapi.UserPresence{UserId: "u"}, NumericProperties: map[string]float64{"x": -0.5, "nan": 0}}}}}},
	{Message: &rtapi.Envelope_StatusPresenceEvent{StatusPresenceEvent: &rtapi.StatusPresenceEvent{
		Joins: []*rtapi.UserPresence{{UserId: "u", Status: wrapperspb.String("")}}}}},
}

func addEnvelopeSeeds(f *testing.F, format Format) {
	for _, env := range fuzzSeedEnvelopes {
		b, err := format.Append(nil, env)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkRoundTrip holds for every frame: if it decodes, the envelope
// re-encodes in its own format to a frame that decodes to the same
// envelope, and in the other format to one that decodes to the same known
// fields (JSON carries no unknown fields, and cannot carry a timestamp
// outside years 1 to 9999, which only a protobuf frame can hold).
func checkRoundTrip(t *testing.T, from Format, b []byte) {
	env, err := from.Decode(b)
	if err != nil {
		if env != nil {
			t.Fatalf("Decode returned an envelope with its error %v", err)
		}
		return
	}
	for _, to := range []Format{from, 1 - from} {
		out, err := to.Append(nil, env)
		if err != nil {
			if to == JSON && from == Protobuf {
				continue
			}
			t.Fatalf("%v envelope decoded from %v does not encode: %v\n%v", to, from, err, env)
		}
		back, err := to.Decode(out)
		if err != nil {
			t.Fatalf("%v: re-encoded envelope does not decode: %v\n%q", to, err, out)
		}
		want := env
		if to != from {
			want = withoutUnknown(env)
			back = withoutUnknown(back)
		}
		if !proto.Equal(back, want) {
			t.Fatalf("%v -> %v round trip changed the envelope\n got %v\nwant %v\nframe %q", from, to, back, want, b)
		}
	}
}

// withoutUnknown returns a copy of env without the fields it carries
// unknown, at any depth.
func withoutUnknown(env *rtapi.Envelope) *rtapi.Envelope {
	c := proto.Clone(env).(*rtapi.Envelope)
	discardUnknown(c.ProtoReflect())
	return c
}

func discardUnknown(m protoreflect.Message) {
	m.SetUnknown(nil)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				discardUnknown(v.List().Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				discardUnknown(mv.Message())
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			discardUnknown(v.Message())
		}
		return true
	})
}

// FuzzEnvelopeJSON: Decode agrees with protojson on every text frame
// (same acceptance, same envelope, the match data fast path included), and
// whatever decodes survives a round trip through either format.
func FuzzEnvelopeJSON(f *testing.F) {
	addEnvelopeSeeds(f, JSON)
	for _, s := range []string{
		`{"match_data":{"op_code":"1","data":"AA==","match_id":"a"}}`,
		`{"cid":"1","matchData":{"opCode":2}}`,
		`{"match_data":{"presence":{"user_id":"\ud83d\ude00","status":null}}}`,
		`{"match_data":{"reliable":false,"op_code":1e2}}`,
		`{"match_data":{"data":"_-8"}}`,
		`{"match_data":{},"cid":"x","pong":{}}`,
		`{"channel_message":{"create_time":"1970-01-01T00:00:00Z","code":0}}`,
		`{"matchmaker_matched":{"users":[{"numeric_properties":{"x":"NaN"}}]}}`,
		`{"unknown":{}}`, `null`, `[]`, ``, `{"cid":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := JSON.Decode(b)
		ref := &rtapi.Envelope{}
		rerr := jsonUnmarshal.Unmarshal(b, ref)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("Decode error %v, protojson error %v, for %q", err, rerr, b)
		}
		if err == nil && !proto.Equal(env, ref) {
			t.Fatalf("Decode and protojson disagree on %q\n got %v\nwant %v", b, env, ref)
		}
		checkRoundTrip(t, JSON, b)
	})
}

// FuzzEnvelopeProtobuf: whatever binary frame decodes survives a round
// trip through either format.
func FuzzEnvelopeProtobuf(f *testing.F) {
	addEnvelopeSeeds(f, Protobuf)
	f.Add([]byte{})
	f.Add([]byte{0xfa, 0x06, 0x00})                 // unknown field 111
	f.Add([]byte{0x0a, 0x01, 0xff})                 // cid that is not UTF-8
	f.Add([]byte{0x0a, 0x01, 'a', 0x0a, 0x01, 'b'}) // cid twice: the last wins
	f.Fuzz(func(t *testing.T, b []byte) {
		checkRoundTrip(t, Protobuf, b)
	})
}

// FuzzAppendMatchDataSend: the hand-written encoders accept exactly what
// the protobuf runtime accepts, and their frames decode to the envelope the
// runtime encodes, in both formats.
func FuzzAppendMatchDataSend(f *testing.F) {
	for _, m := range sendCases {
		var user, status string
		var hasStatus bool
		if len(m.Presences) > 0 {
			user = m.Presences[0].UserId
			status, hasStatus = m.Presences[0].GetStatus().GetValue(), m.Presences[0].Status != nil
		}
		f.Add(m.MatchID, m.OpCode, m.Data, m.Reliable, len(m.Presences), user, status, hasStatus)
	}
	f.Add("\xff", int64(0), []byte(nil), false, 1, "\xc3", "", true)
	f.Fuzz(func(t *testing.T, matchID string, op int64, data []byte, reliable bool, n int, user, status string, hasStatus bool) {
		m := &MatchDataSend{MatchID: matchID, OpCode: op, Data: data, Reliable: reliable}
		for i := range min(max(n, 0), 3) {
			p := &rtapi.UserPresence{UserId: user, SessionId: status, Username: matchID, Persistence: i%2 == 0}
			if hasStatus {
				p.Status = wrapperspb.String(status)
			}
			m.Presences = append(m.Presences, p)
		}
		for _, format := range []Format{Protobuf, JSON} {
			hand, herr := format.AppendMatchDataSend(nil, m)
			rt, rerr := format.Append(nil, toEnvelope(m))
			if (herr == nil) != (rerr == nil) {
				t.Fatalf("%v: hand-written encoder error %v, runtime error %v, for %+v", format, herr, rerr, m)
			}
			if herr != nil {
				continue
			}
			got, err := format.Decode(hand)
			if err != nil {
				t.Fatalf("%v: hand-written frame does not decode: %v\n%q", format, err, hand)
			}
			want, _ := format.Decode(rt)
			if !proto.Equal(got, want) {
				t.Fatalf("%v: hand-written frame decodes to\n%v\nruntime's to\n%v", format, got, want)
			}
		}
	})
}

// FuzzDecodeMatchDataProto: Decode agrees with proto.Unmarshal on every
// binary frame (same acceptance, same envelope), and whenever the match
// data fast path takes a frame, the runtime decodes it to an equal
// envelope.
func FuzzDecodeMatchDataProto(f *testing.F) {
	addEnvelopeSeeds(f, Protobuf)
	fast, slow := pbMatchDataFrames()
	for _, b := range append(fast, slow...) {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// b as a frame, and as the match data of one, so that the
		// fuzzer reaches the fast path's inner messages often.
		checkMatchDataProto(t, b)
		checkMatchDataProto(t, pbFrame{}.msg(14, b))
	})
}

func checkMatchDataProto(t *testing.T, b []byte) {
	ref := &rtapi.Envelope{}
	rerr := proto.Unmarshal(b, ref)
	if env, ok := decodeMatchDataProto(b); ok && (rerr != nil || !proto.Equal(env, ref)) {
		t.Fatalf("fast path and runtime disagree on %x\n got %v\nwant %v (error %v)", b, env, ref, rerr)
	}
	env, err := Protobuf.Decode(b)
	if (err == nil) != (rerr == nil) {
		t.Fatalf("Decode error %v, runtime error %v, for %x", err, rerr, b)
	}
	if err == nil && !proto.Equal(env, ref) {
		t.Fatalf("Decode and runtime disagree on %x\n got %v\nwant %v", b, env, ref)
	}
}
