package nakamatest

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// The expected forms were read back from a real Nakama 3.40 on PostgreSQL.
func TestPGJSONB(t *testing.T) {
	ok := []struct{ in, want string }{
		{`{"b":1,"aa":2,"a":3,"ab":[1.50,1e2,-0,0.0,1E-2,-1.5e1,12345678901234567890]}`,
			`{"a": 3, "b": 1, "aa": 2, "ab": [1.50, 100, 0, 0.0, 0.01, -15, 12345678901234567890]}`},
		{`{"s":"é\u00e9\n\t\u001f/\\\"<>&","e":"\ud83d\ude00","x":{}, "y":[], "z":[{}]}`,
			`{"e": "😀", "s": "éé\n\t\u001f/\\\"<>&", "x": {}, "y": [], "z": [{}]}`},
		{`{"a":1,"a":2}`, `{"a": 2}`},
		{`  {"n":1.0e+3, "m": 100e-2, "o":0.00}  `, `{"m": 1.00, "n": 1000, "o": 0.00}`},
		{`{"d":-0.0e5}`, `{"d": 0}`},
		{`{"d":0e-3}`, `{"d": 0.000}`},
		{`{"d":123.456e1}`, `{"d": 1234.56}`},
		{`{"d":0e200000}`, `{"d": 0}`},
		{`{"t":true,"f":false,"n":null}`, `{"f": false, "n": null, "t": true}`},
		{`[1, {"b":[], "a":"\u0041"}]`, `[1, {"a": "A", "b": []}]`},
	}
	for _, c := range ok {
		got, err := pgJSONB(c.in)
		if err != nil || got != c.want {
			t.Errorf("pgJSONB(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	big, err := pgJSONB(`{"d":1e131071}`)
	if err != nil || len(big) != len(`{"d": }`)+131072 {
		t.Errorf("1e131071: %d bytes, %v", len(big), err)
	}
	small, err := pgJSONB(`{"d":1e-16383}`)
	if err != nil || !strings.HasSuffix(small, "01}") || len(small) != len(`{"d": 0.}`)+16383 {
		t.Errorf("1e-16383: %d bytes, %v", len(small), err)
	}
	for _, in := range []string{`{"u":"\u0000"}`, `{"l":"\ud800"}`, `{"l":"\udc00\ud800"}`, `{"d":1e131072}`,
		`{"d":1e-16384}`, `{"d":1.5e-16383}`, `{"d":0e-20000}`, `{"d":1e2147483648}`, "{\"x\":\"\xff\"}"} {
		if got, err := pgJSONB(in); err == nil {
			t.Errorf("pgJSONB(%s) = %s, want an error", in, got)
		}
	}
}

func storageWriteBody(objs ...string) string {
	return `{"objects":[` + strings.Join(objs, ",") + `]}`
}

func TestStorageWriteReadHTTP(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime.Add(123456789 * time.Nanosecond))
	s := c.device("storage-device-01")
	bearer := bearerHeader(s)

	acks := &api.StorageObjectAcks{}
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"k","value":"{\"b\":1, \"a\":2}"}`), bearer).ok(t, acks)
	ack := acks.Acks[0]
	// Acks carry the database's microseconds; reads only seconds.
	if sum := md5.Sum([]byte(`{"b":1, "a":2}`)); ack.Version != hex.EncodeToString(sum[:]) {
		t.Errorf("version %q", ack.Version)
	}
	if got := ack.CreateTime.AsTime(); !got.Equal(fixedTime.Add(123456 * time.Microsecond)) {
		t.Errorf("ack create time %v", got)
	}
	objs := &api.StorageObjects{}
	c.send("POST", "/v2/storage", `{"object_ids":[{"collection":"c","key":"k","user_id":"`+ack.UserId+`"}]}`, bearer).ok(t, objs)
	if len(objs.Objects) != 1 {
		t.Fatalf("read %v", objs)
	}
	o := objs.Objects[0]
	if o.Value != `{"a": 2, "b": 1}` || o.CreateTime.Nanos != 0 || o.CreateTime.Seconds != fixedTime.Unix() ||
		o.PermissionRead != 1 || o.PermissionWrite != 1 {
		t.Errorf("read %v", o)
	}

	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"k","value":"{}","version":"*"}`), bearer).
		fails(t, 400, InvalidArgument, msgStorageVersionRejected)
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"k","value":"{}","version":"abc"}`), bearer).
		fails(t, 400, InvalidArgument, msgStorageVersionRejected)
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"k","value":" [1]"}`), bearer).
		fails(t, 400, InvalidArgument, "Value must be a JSON object.")
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"k","value":"{\"u\":\"\\u0000\"}"}`), bearer).
		fails(t, 500, Internal, "Error writing storage objects.")
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"`+strings.Repeat("é", 129)+`","value":"{}"}`), bearer).
		fails(t, 500, Internal, "Error writing storage objects.")
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"`+strings.Repeat("é", 128)+`","value":"{}"}`), bearer).ok(t, nil)
	c.send("PUT", "/v2/storage", storageWriteBody(), bearer).ok(t, nil)

	// Permissions: write 0 rejects a write (before any version check) and a
	// delete; the runtime's direct writes ignore it.
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"ro","value":"{}","permission_write":0,"permission_read":2}`), bearer).ok(t, nil)
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"c","key":"ro","value":"{}","version":"nope"}`), bearer).
		fails(t, 400, InvalidArgument, msgStoragePermRejected)
	c.send("PUT", "/v2/storage/delete", `{"object_ids":[{"collection":"c","key":"ro"}]}`, bearer).
		fails(t, 400, InvalidArgument, msgStorageDeleteRejected)
	if _, err := srv.WriteStorageObject(StorageWrite{Collection: "c", Key: "ro", UserID: ack.UserId, Value: `{"x":1}`}); err != nil {
		t.Fatal(err)
	}
	if o, ok := srv.StorageObject("c", "ro", ack.UserId); !ok || o.Value != `{"x": 1}` || o.PermissionRead != 1 {
		t.Errorf("direct write left %v", o)
	}
	if !srv.DeleteStorageObject("c", "ro", ack.UserId) || srv.DeleteStorageObject("c", "ro", ack.UserId) {
		t.Error("DeleteStorageObject does not report existence")
	}

	// Reads validate every id.
	c.send("POST", "/v2/storage", `{"object_ids":[{"collection":"c","key":"k","user_id":"00000000-0000-0000-0000-000000000000"}]}`, bearer).
		fails(t, 400, InvalidArgument, msgInvalidUserUUID)
	c.send("POST", "/v2/storage", `{"object_ids":[{"collection":"c"}]}`, bearer).
		fails(t, 400, InvalidArgument, msgStorageKeyRequired)
}

func TestStorageSystemObjectsAndCascade(t *testing.T) {
	srv, c := startServer(t, nil)
	s := c.device("storage-device-02")
	bearer := bearerHeader(s)
	for _, w := range []StorageWrite{
		{Collection: "cfg", Key: "public", Value: `{"v":1}`, PermissionRead: storagePerm(2)},
		{Collection: "cfg", Key: "private", Value: `{"v":2}`},
	} {
		if _, err := srv.WriteStorageObject(w); err != nil {
			t.Fatal(err)
		}
	}
	// No user id reads the system user's objects; only public ones.
	objs := &api.StorageObjects{}
	c.send("POST", "/v2/storage", `{"object_ids":[{"collection":"cfg","key":"public"},{"collection":"cfg","key":"private"}]}`, bearer).ok(t, objs)
	if len(objs.Objects) != 1 || objs.Objects[0].Key != "public" || objs.Objects[0].UserId != systemUserID {
		t.Errorf("read %v", objs.Objects)
	}
	if _, err := srv.WriteStorageObject(StorageWrite{Collection: "cfg", Key: "x", Value: `{}`, UserID: "9f2b0b9e-7d51-4d52-9d7a-3c1b3e4a5b6c"}); err == nil {
		t.Error("a write for an unknown owner succeeded")
	}
	if _, err := srv.WriteStorageObject(StorageWrite{Collection: "cfg", Key: "public", Value: `{}`, Version: "*"}); asError(err).Message != msgStorageVersionRejected {
		t.Errorf("direct conditional write: %v", err)
	}

	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"mine","key":"a","value":"{}"}`), bearer).ok(t, nil)
	acc := c.account(s)
	if len(srv.StorageObjects("mine")) != 1 {
		t.Fatal("object not stored")
	}
	if err := srv.DeleteUser(acc.User.Id); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.StorageObjects("mine")); n != 0 {
		t.Errorf("deleting the user left %d objects", n)
	}
	if len(srv.StorageObjects("cfg")) != 2 {
		t.Errorf("system objects went with the user")
	}
}

func storagePerm(n int32) *int32 { return &n }

func TestStorageListing(t *testing.T) {
	srv, c := startServer(t, nil)
	a, b := c.device("storage-device-a"), c.device("storage-device-b")
	ua, ub := c.account(a).User.Id, c.account(b).User.Id
	c.send("PUT", "/v2/storage", storageWriteBody(
		`{"collection":"l","key":"k2","value":"{}","permission_read":2}`,
		`{"collection":"l","key":"k0","value":"{}","permission_read":2}`,
		`{"collection":"l","key":"k1","value":"{}","permission_read":1}`,
		`{"collection":"l","key":"k3","value":"{}","permission_read":0}`), bearerHeader(a)).ok(t, nil)
	c.send("PUT", "/v2/storage", storageWriteBody(`{"collection":"l","key":"k0","value":"{}","permission_read":2}`), bearerHeader(b)).ok(t, nil)

	page := func(s *api.Session, path string) ([]string, string) {
		t.Helper()
		l := &api.StorageObjectList{}
		c.send("GET", path, "", bearerHeader(s)).ok(t, l)
		var keys []string
		for _, o := range l.Objects {
			owner := "a"
			if o.UserId == ub {
				owner = "b"
			}
			keys = append(keys, o.Key+owner)
		}
		return keys, l.Cursor
	}
	// Own listing by route 2: permission then key; the cursor pages on.
	keys, cur := page(a, "/v2/storage/l/"+ua+"?limit=2")
	if strings.Join(keys, ",") != "k1a,k0a" || cur == "" {
		t.Errorf("own page 1: %v %q", keys, cur)
	}
	keys, cur2 := page(a, "/v2/storage/l/"+ua+"?limit=2&cursor="+cur)
	if strings.Join(keys, ",") != "k2a" || cur2 != "" {
		t.Errorf("own page 2: %v %q", keys, cur2)
	}
	// Someone else's: public only.
	keys, _ = page(b, "/v2/storage/l?user_id="+ua+"&limit=10")
	if strings.Join(keys, ",") != "k0a,k2a" {
		t.Errorf("other's listing: %v", keys)
	}
	// Everyone's public objects, by key then owner.
	keys, _ = page(b, "/v2/storage/l?limit=10")
	wantK0 := "k0a,k0b"
	if ub < ua {
		wantK0 = "k0b,k0a"
	}
	if strings.Join(keys, ",") != wantK0+",k2a" {
		t.Errorf("public listing: %v", keys)
	}
	keys, cur = page(b, "/v2/storage/l")
	if len(keys) != 1 || cur == "" {
		t.Errorf("default limit: %v %q", keys, cur)
	}

	c.send("GET", "/v2/storage/l?limit=0", "", bearerHeader(a)).fails(t, 400, InvalidArgument, msgLimit100)
	c.send("GET", "/v2/storage/l?cursor=%25%25", "", bearerHeader(a)).fails(t, 400, InvalidArgument, msgMalformedCursor)
	c.send("GET", "/v2/storage/l/nope", "", bearerHeader(a)).fails(t, 400, InvalidArgument, msgInvalidUserUUID)
	if got := srv.StorageObjects("l"); len(got) != 5 || got[0].Key != "k0" {
		t.Errorf("StorageObjects: %v", got)
	}
}
