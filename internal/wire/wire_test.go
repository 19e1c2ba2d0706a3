package wire

import (
	"fmt"
	"testing"

	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var sendCases = []*MatchDataSend{
	{},
	{MatchID: "abc.node", OpCode: 1, Data: []byte("hello"), Reliable: true},
	{MatchID: "m", OpCode: -9223372036854775808, Data: []byte{0, 0xff, '"', '\\'}},
	{MatchID: "q\"u\\o\nt\x01e\u2028ü", OpCode: 9223372036854775807, Presences: []*rtapi.UserPresence{
		{UserId: "u1", SessionId: "s1", Username: "one", Persistence: true, Status: wrapperspb.String("hi")},
		{UserId: "u2", Status: wrapperspb.String("")},
		{},
	}},
}

func toEnvelope(m *MatchDataSend) *rtapi.Envelope {
	return &rtapi.Envelope{Message: &rtapi.Envelope_MatchDataSend{MatchDataSend: &rtapi.MatchDataSend{
		MatchId: m.MatchID, OpCode: m.OpCode, Data: m.Data, Presences: m.Presences, Reliable: m.Reliable}}}
}

// TestAppendMatchDataSend: the hand-written encoders produce what the
// protobuf runtime decodes to the same envelope, in both formats.
func TestAppendMatchDataSend(t *testing.T) {
	for _, f := range []Format{Protobuf, JSON} {
		for i, m := range sendCases {
			b, err := f.AppendMatchDataSend([]byte("prefix"), m)
			if err != nil {
				t.Fatal(err)
			}
			if string(b[:6]) != "prefix" {
				t.Fatalf("%v %d: prefix lost", f, i)
			}
			got := &rtapi.Envelope{}
			if f == JSON {
				err = protojson.Unmarshal(b[6:], got)
			} else {
				err = proto.Unmarshal(b[6:], got)
			}
			if err != nil {
				t.Fatalf("%v %d: %v in %q", f, i, err, b[6:])
			}
			want := toEnvelope(m)
			if !proto.Equal(got, want) {
				t.Errorf("%v %d: decoded\n%v\nwant\n%v", f, i, got, want)
			}
			if f == Protobuf {
				std, _ := proto.Marshal(toEnvelope(m))
				if len(std) != len(b)-6 {
					t.Errorf("protobuf %d: %d bytes, runtime gives %d", i, len(b)-6, len(std))
				}
			}
		}
	}
}

func TestAppendMatchDataSendInvalidUTF8(t *testing.T) {
	for _, f := range []Format{Protobuf, JSON} {
		for _, m := range []*MatchDataSend{{MatchID: "\xff"}, {Presences: []*rtapi.UserPresence{{Status: wrapperspb.String("\xc0")}}}} {
			if _, err := f.AppendMatchDataSend(nil, m); err != ErrInvalidUTF8 {
				t.Errorf("%v: %v", f, err)
			}
			if _, err := f.Append(nil, toEnvelope(m)); err == nil {
				t.Errorf("%v: the runtime accepts it", f)
			}
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	env := &rtapi.Envelope{Cid: "7", Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
		MatchId: "m.n", OpCode: 3, Data: []byte{1, 2, 3}, Reliable: true,
		Presence: &rtapi.UserPresence{UserId: "u", SessionId: "s", Username: "n", Persistence: true}}}}
	for _, f := range []Format{Protobuf, JSON} {
		b, err := f.Append(nil, env)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, env) {
			t.Errorf("%v: %v", f, got)
		}
	}
	if JSON.String() != "json" || Protobuf.String() != "protobuf" {
		t.Error("format names")
	}
}

// TestDecodeMatchDataJSON: the fast path agrees with protojson on what the
// server writes, and gives up on anything unusual.
func TestDecodeMatchDataJSON(t *testing.T) {
	fast := []string{
		`{"match_data":{"match_id":"a.b","presence":{"user_id":"u","session_id":"s","username":"n"},"op_code":"12","data":"aGVsbG8=","reliable":true}}`,
		` { "match_data" : { "op_code" : 12 , "data" : "aGVsbG8" } , "cid" : "" } `,
		`{"match_data":{}}`,
		`{"match_data":{"match_id":"\u00fc\ud83d\ude00\n\"\\\/","op_code":"-5","reliable":false,"presence":{"persistence":true}}}`,
		`{"cid":"3","match_data":{"data":""}}`,
	}
	for _, s := range fast {
		got, ok := decodeMatchDataJSON([]byte(s))
		if !ok {
			t.Errorf("fast path refused %s", s)
			continue
		}
		want := &rtapi.Envelope{}
		if err := protojson.Unmarshal([]byte(s), want); err != nil {
			t.Fatalf("protojson: %v on %s", err, s)
		}
		if !proto.Equal(got, want) {
			t.Errorf("%s\n got %v\nwant %v", s, got, want)
		}
	}
	slow := []string{
		`{"match_data":{"matchId":"camel"}}`,
		`{"match_data":{"presence":{"status":"x"}}}`,
		`{"match_data":null}`,
		`{"match_data":{"op_code":"01"}}`,
		`{"match_data":{"data":"-_-_"}}`,
		`{"match_data":{"op_code":"1"},"match_data":{}}`,
		`{"match_data":{"op_code":1.5}}`,
		`{"match_data":{"match_id":"\ud800"}}`,
		`{"match_data":{}} x`,
		`{"match_data":{"op_code":"99999999999999999999"}}`,
		`{"channel_message":{}}`,
		`{"cid":"1"}`,
		``,
	}
	for _, s := range slow {
		if _, ok := decodeMatchDataJSON([]byte(s)); ok {
			t.Errorf("fast path accepted %s", s)
		}
	}
}

// benchSizes are the match data sizes the benchmarks run at: a game's
// typical input or state delta, and a larger snapshot.
var benchSizes = []int{64, 1024}

// BenchmarkAppendMatchDataSend encodes a match data send envelope with the
// hand-written encoder and with the protobuf runtime.
func BenchmarkAppendMatchDataSend(b *testing.B) {
	for _, size := range benchSizes {
		m := &MatchDataSend{MatchID: "4c2ae592-b2a7-445e-98ec-697694478b1c.nakama1", OpCode: 3, Data: make([]byte, size), Reliable: true}
		for _, f := range []Format{Protobuf, JSON} {
			b.Run(fmt.Sprintf("%s/%dB/hand", f, size), func(b *testing.B) {
				b.ReportAllocs()
				var buf []byte
				for b.Loop() {
					buf, _ = f.AppendMatchDataSend(buf[:0], m)
				}
			})
			b.Run(fmt.Sprintf("%s/%dB/runtime", f, size), func(b *testing.B) {
				b.ReportAllocs()
				var buf []byte
				for b.Loop() {
					buf, _ = f.Append(buf[:0], toEnvelope(m))
				}
			})
		}
	}
}

// BenchmarkDecodeMatchData decodes a match data envelope as Decode does,
// and with the protobuf runtime alone (proto.Unmarshal, protojson).
func BenchmarkDecodeMatchData(b *testing.B) {
	for _, size := range benchSizes {
		env := &rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
			MatchId: "4c2ae592-b2a7-445e-98ec-697694478b1c.nakama1", OpCode: 3, Data: make([]byte, size), Reliable: true,
			Presence: &rtapi.UserPresence{UserId: "4c2ae592-b2a7-445e-98ec-697694478b1c", SessionId: "5c2ae592-b2a7-445e-98ec-697694478b1c", Username: "player"}}}}
		for _, f := range []Format{Protobuf, JSON} {
			frame, _ := f.Append(nil, env)
			b.Run(fmt.Sprintf("%s/%dB", f, size), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := f.Decode(frame); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		pb, _ := Protobuf.Append(nil, env)
		b.Run(fmt.Sprintf("protobuf/%dB/runtime", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := pbUnmarshal.Unmarshal(pb, &rtapi.Envelope{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		frame, _ := JSON.Append(nil, env)
		b.Run(fmt.Sprintf("json/%dB/protojson", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := jsonUnmarshal.Unmarshal(frame, &rtapi.Envelope{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// pbFrame builds a protobuf frame field by field, for the shapes a
// marshaler never writes (repeats, wrong wire types, unknown fields).
type pbFrame []byte

func (b pbFrame) str(num protowire.Number, s string) pbFrame {
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}

func (b pbFrame) msg(num protowire.Number, m pbFrame) pbFrame {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), m)
}

func (b pbFrame) varint(num protowire.Number, v uint64) pbFrame {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// pbMatchDataFrames are frames the protobuf fast path must decode (fast)
// or leave to the runtime (slow).
func pbMatchDataFrames() (fast, slow []pbFrame) {
	presence := pbFrame{}.str(1, "u").str(2, "s").str(3, "n").varint(4, 1).msg(5, pbFrame{}.str(1, "st"))
	md := pbFrame{}.str(1, "m.node").msg(2, presence).varint(3, 7).str(4, "\x00\xff").varint(5, 1)
	fast = []pbFrame{
		pbFrame{}.msg(14, md),
		pbFrame{}.str(1, "12").msg(14, md),
		pbFrame{}.msg(14, md).str(1, "after"),
		pbFrame{}.msg(14, nil),
		pbFrame{}.msg(14, pbFrame{}.msg(2, nil)),
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.msg(5, nil))),
		pbFrame{}.msg(14, pbFrame{}.str(1, "a").str(1, "b").varint(3, 1).varint(3, 1<<63).varint(5, 2).varint(5, 0)),
		pbFrame{}.msg(14, pbFrame{}.str(4, "").str(1, "ü\U0001F600")),
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.str(1, "x").str(1, "").msg(5, pbFrame{}.str(1, "a").str(1, "b")))),
		pbFrame{}.str(1, "a").str(1, "").msg(14, md),
		pbFrame{}.msg(14, pbFrame{}.varint(3, ^uint64(0))),
		append(pbFrame{}.msg(14, nil)[:1], 0x80, 0x00), // a length written in two bytes
	}
	slow = []pbFrame{
		nil,
		pbFrame{}.str(1, "only a cid"),
		pbFrame{}.msg(14, md).msg(14, md), // merged by the runtime
		pbFrame{}.msg(14, pbFrame{}.msg(2, presence).msg(2, nil)), // merged
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.msg(5, nil).msg(5, nil))),
		pbFrame{}.msg(14, md).msg(15, nil), // another message of the oneof
		pbFrame{}.msg(14, md).str(99, "unknown"),
		pbFrame{}.msg(14, pbFrame{}.str(6, "unknown")),
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.varint(9, 1))),
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.msg(5, pbFrame{}.varint(2, 1)))),
		pbFrame{}.msg(14, pbFrame{}.varint(1, 1)), // wrong wire type
		pbFrame{}.msg(14, pbFrame{}.str(3, "x")),
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.str(4, "x"))),
		pbFrame{}.varint(1, 1).msg(14, nil),
		pbFrame{}.msg(14, pbFrame{}.str(1, "\xff")), // invalid UTF-8: an error
		pbFrame{}.str(1, "\xc3").msg(14, nil),
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.str(3, "\xed\xa0\x80"))),
		pbFrame{}.msg(14, pbFrame{}.msg(2, pbFrame{}.msg(5, pbFrame{}.str(1, "\xff")))),
		pbFrame{}.msg(14, md)[:5],            // truncated
		append(pbFrame{}.msg(14, nil), 0x00), // field number 0
		pbFrame{}.msg(14, pbFrame{}.varint(3, 0)[:1]),
		pbFrame{}.msg(14, append(pbFrame{}, 0x1d, 0, 0, 0, 0)), // op_code as fixed32
	}
	return fast, slow
}

// TestDecodeMatchDataProto: the protobuf fast path decodes to exactly what
// proto.Unmarshal gives, and leaves whatever it does not reproduce exactly
// to the runtime.
func TestDecodeMatchDataProto(t *testing.T) {
	fast, slow := pbMatchDataFrames()
	for _, b := range fast {
		got, ok := decodeMatchDataProto(b)
		if !ok {
			t.Errorf("fast path refused %x", b)
			continue
		}
		want := &rtapi.Envelope{}
		if err := proto.Unmarshal(b, want); err != nil {
			t.Fatalf("runtime: %v on %x", err, b)
		}
		if !proto.Equal(got, want) {
			t.Errorf("%x\n got %v\nwant %v", b, got, want)
		}
	}
	for _, b := range slow {
		if env, ok := decodeMatchDataProto(b); ok {
			t.Errorf("fast path accepted %x: %v", b, env)
		}
	}
}

// TestDecodeMatchDataProtoCopies: the decoded envelope owns its bytes, so
// the adapter may reuse the frame once OnFrame returns.
func TestDecodeMatchDataProtoCopies(t *testing.T) {
	fast, _ := pbMatchDataFrames()
	b := append([]byte(nil), fast[1]...)
	env, err := Protobuf.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(env)
	clear(b)
	if !proto.Equal(env, want) {
		t.Fatalf("clearing the frame changed the envelope: %v", env)
	}
	md := env.GetMatchData()
	md.Data = append(md.Data, "more"...)
	if env.Cid != "12" || md.MatchId != "m.node" || md.Presence.UserId != "u" {
		t.Fatalf("growing the data changed a string: %v", env)
	}
}
