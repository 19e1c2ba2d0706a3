package wire

import (
	"fmt"
	"testing"

	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protojson"
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
		md, cid, ok := decodeMatchDataJSON([]byte(s))
		if !ok {
			t.Errorf("fast path refused %s", s)
			continue
		}
		want := &rtapi.Envelope{}
		if err := protojson.Unmarshal([]byte(s), want); err != nil {
			t.Fatalf("protojson: %v on %s", err, s)
		}
		got := &rtapi.Envelope{Cid: cid, Message: &rtapi.Envelope_MatchData{MatchData: md}}
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
		if _, _, ok := decodeMatchDataJSON([]byte(s)); ok {
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
// and, for JSON, with protojson alone.
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
