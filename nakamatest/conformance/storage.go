package conformance

import (
	"crypto/md5"
	"encoding/hex"
	"sort"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
)

func perm(n int32) *int32 { return &n }

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// storageKeys returns the keys of objects, in order.
func storageKeys(objs []*api.StorageObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}

func init() {
	register(
		Case{Name: "storage/write-read-versions", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			coll := h.Unique("coll")
			const value = `{"b":2, "a":[1,"x"], "c":{"z":null}}`
			acks, err := h.Client.WriteStorageObjects(h.Ctx(t), s, nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: value})
			Must(t, err)
			if len(acks.Acks) != 1 {
				t.Fatalf("acks %v", acks)
			}
			ack := acks.Acks[0]
			if ack.Collection != coll || ack.Key != "k" || ack.UserId != s.UserID() || ack.Version != md5hex(value) ||
				ack.CreateTime == nil || ack.UpdateTime == nil {
				t.Errorf("ack %v; version should be the MD5 of the value written, %s", ack, md5hex(value))
			}

			read := func(ids ...nakama.StorageObjectID) []*api.StorageObject {
				t.Helper()
				objs, err := h.Client.ReadStorageObjects(h.Ctx(t), s, ids...)
				Must(t, err)
				return objs.Objects
			}
			objs := read(nakama.StorageObjectID{Collection: coll, Key: "k", UserID: s.UserID()})
			if len(objs) != 1 {
				t.Fatalf("read %v", objs)
			}
			o := objs[0]
			// The value comes back as the database stores JSON.
			if o.Value != `{"a": [1, "x"], "b": 2, "c": {"z": null}}` || o.Version != ack.Version ||
				o.PermissionRead != 1 || o.PermissionWrite != 1 || o.UserId != s.UserID() || o.CreateTime == nil {
				t.Errorf("read %v", o)
			}
			// Without a user id a read names the system user's object.
			if got := read(nakama.StorageObjectID{Collection: coll, Key: "k"}); len(got) != 0 {
				t.Errorf("read without user id found %v", got)
			}

			// Writing the same value again leaves the object untouched.
			again, err := h.Client.WriteStorageObjects(h.Ctx(t), s, nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: value})
			Must(t, err)
			if a := again.Acks[0]; a.Version != ack.Version || !a.UpdateTime.AsTime().Equal(ack.UpdateTime.AsTime()) {
				t.Errorf("identical rewrite changed the object: %v then %v", ack, a)
			}

			write := func(version, value string) error {
				_, err := h.Client.WriteStorageObjects(h.Ctx(t), s, nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: value, Version: version})
				return err
			}
			for _, version := range []string{"*", "0123456789abcdef0123456789abcdef"} {
				if e := Code(t, write(version, `{"n":1}`), nakama.InvalidArgument); e.Message != "Storage write rejected - version check failed." {
					t.Errorf("version %q: %q", version, e.Message)
				}
			}
			Must(t, write(ack.Version, `{"n":2}`))
			if e := Code(t, write(ack.Version, `{"n":3}`), nakama.InvalidArgument); e.Message != "Storage write rejected - version check failed." {
				t.Errorf("stale version: %q", e.Message)
			}
			// A version on an object that does not exist fails too.
			_, err = h.Client.WriteStorageObjects(h.Ctx(t), s, nakama.StorageObjectWrite{Collection: coll, Key: "none", Value: "{}", Version: ack.Version})
			Code(t, err, nakama.InvalidArgument)

			// A batch is all or nothing.
			_, err = h.Client.WriteStorageObjects(h.Ctx(t), s,
				nakama.StorageObjectWrite{Collection: coll, Key: "new", Value: `{}`},
				nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: `{}`, Version: "*"})
			Code(t, err, nakama.InvalidArgument)
			if got := read(nakama.StorageObjectID{Collection: coll, Key: "new", UserID: s.UserID()}); len(got) != 0 {
				t.Errorf("a failed batch wrote %v", got)
			}
			// Acks come back in request order.
			acks, err = h.Client.WriteStorageObjects(h.Ctx(t), s,
				nakama.StorageObjectWrite{Collection: coll, Key: "z", Value: `{"z":1}`, Version: "*"},
				nakama.StorageObjectWrite{Collection: coll, Key: "a", Value: `{"a":1}`})
			Must(t, err)
			if len(acks.Acks) != 2 || acks.Acks[0].Key != "z" || acks.Acks[1].Key != "a" {
				t.Errorf("acks %v", acks.Acks)
			}

			bad := []struct {
				w   nakama.StorageObjectWrite
				msg string
			}{
				{nakama.StorageObjectWrite{Collection: coll, Value: "{}"}, "Invalid collection or key value supplied. They must be set."},
				{nakama.StorageObjectWrite{Collection: coll, Key: "k"}, "Invalid collection or key value supplied. They must be set."},
				{nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: "[1]"}, "Value must be a JSON object."},
				{nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: "{"}, "Value must be a JSON object."},
				{nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: "{}", PermissionRead: perm(3)}, "Invalid Read permission supplied. It must be either 0, 1 or 2."},
				{nakama.StorageObjectWrite{Collection: coll, Key: "k", Value: "{}", PermissionWrite: perm(2)}, "Invalid Write permission supplied. It must be either 0 or 1."},
			}
			for _, b := range bad {
				_, err := h.Client.WriteStorageObjects(h.Ctx(t), s, b.w)
				if e := Code(t, err, nakama.InvalidArgument); e.Message != b.msg {
					t.Errorf("%+v: %q, want %q", b.w, e.Message, b.msg)
				}
			}
			_, err = h.Client.ReadStorageObjects(h.Ctx(t), s, nakama.StorageObjectID{Collection: coll, Key: "k", UserID: "nope"})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid user ID - make sure user ID is a valid UUID." {
				t.Errorf("bad user id: %q", e.Message)
			}
		}},

		Case{Name: "storage/permissions", Run: func(t *testing.T, h *Harness) {
			a, b := h.NewUser(t), h.NewUser(t)
			coll := h.Unique("perm")
			_, err := h.Client.WriteStorageObjects(h.Ctx(t), a,
				nakama.StorageObjectWrite{Collection: coll, Key: "p0", Value: `{}`, PermissionRead: perm(0)},
				nakama.StorageObjectWrite{Collection: coll, Key: "p1", Value: `{}`, PermissionRead: perm(1)},
				nakama.StorageObjectWrite{Collection: coll, Key: "p2", Value: `{}`, PermissionRead: perm(2)},
				nakama.StorageObjectWrite{Collection: coll, Key: "w0", Value: `{}`, PermissionWrite: perm(0)})
			Must(t, err)
			ids := func(owner string) []nakama.StorageObjectID {
				var out []nakama.StorageObjectID
				for _, k := range []string{"p0", "p1", "p2", "w0"} {
					out = append(out, nakama.StorageObjectID{Collection: coll, Key: k, UserID: owner})
				}
				return out
			}
			readKeys := func(s *nakama.Session) []string {
				objs, err := h.Client.ReadStorageObjects(h.Ctx(t), s, ids(a.UserID())...)
				Must(t, err)
				keys := storageKeys(objs.Objects)
				sort.Strings(keys)
				return keys
			}
			// The owner reads what has permission 1 or 2 (not 0); others only 2.
			if got := readKeys(a); !equalStrings(got, []string{"p1", "p2", "w0"}) {
				t.Errorf("owner reads %v", got)
			}
			if got := readKeys(b); !equalStrings(got, []string{"p2"}) {
				t.Errorf("other user reads %v", got)
			}
			// Write permission 0 stops the owner's writes and deletes.
			_, err = h.Client.WriteStorageObjects(h.Ctx(t), a, nakama.StorageObjectWrite{Collection: coll, Key: "w0", Value: `{"x":1}`})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Storage write rejected - permission denied." {
				t.Errorf("write to write-0 object: %q", e.Message)
			}
			err = h.Client.DeleteStorageObjects(h.Ctx(t), a, nakama.StorageObjectID{Collection: coll, Key: "w0"})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Storage delete rejected - not found, version check failed, or permission denied." {
				t.Errorf("delete of write-0 object: %q", e.Message)
			}
			// Another user's write to the same key makes their own object.
			acks, err := h.Client.WriteStorageObjects(h.Ctx(t), b, nakama.StorageObjectWrite{Collection: coll, Key: "p2", Value: `{"mine":true}`})
			Must(t, err)
			if acks.Acks[0].UserId != b.UserID() {
				t.Errorf("ack owner %q", acks.Acks[0].UserId)
			}
			objs, err := h.Client.ReadStorageObjects(h.Ctx(t), b, nakama.StorageObjectID{Collection: coll, Key: "p2", UserID: a.UserID()})
			Must(t, err)
			if len(objs.Objects) != 1 || objs.Objects[0].Value != "{}" {
				t.Errorf("a's object after b's write: %v", objs.Objects)
			}
		}},

		Case{Name: "storage/delete", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			coll := h.Unique("del")
			acks, err := h.Client.WriteStorageObjects(h.Ctx(t), s,
				nakama.StorageObjectWrite{Collection: coll, Key: "a", Value: `{"v":1}`},
				nakama.StorageObjectWrite{Collection: coll, Key: "b", Value: `{"v":2}`})
			Must(t, err)
			rejected := "Storage delete rejected - not found, version check failed, or permission denied."
			err = h.Client.DeleteStorageObjects(h.Ctx(t), s, nakama.StorageObjectID{Collection: coll, Key: "a", Version: acks.Acks[1].Version})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != rejected {
				t.Errorf("wrong version: %q", e.Message)
			}
			// All or nothing: a missing object fails the whole batch.
			err = h.Client.DeleteStorageObjects(h.Ctx(t), s,
				nakama.StorageObjectID{Collection: coll, Key: "b"},
				nakama.StorageObjectID{Collection: coll, Key: "missing"})
			Code(t, err, nakama.InvalidArgument)
			Must(t, h.Client.DeleteStorageObjects(h.Ctx(t), s,
				nakama.StorageObjectID{Collection: coll, Key: "a", Version: acks.Acks[0].Version},
				nakama.StorageObjectID{Collection: coll, Key: "b"}))
			objs, err := h.Client.ReadStorageObjects(h.Ctx(t), s,
				nakama.StorageObjectID{Collection: coll, Key: "a", UserID: s.UserID()},
				nakama.StorageObjectID{Collection: coll, Key: "b", UserID: s.UserID()})
			Must(t, err)
			if len(objs.Objects) != 0 {
				t.Errorf("deleted objects still read: %v", objs.Objects)
			}
			err = h.Client.DeleteStorageObjects(h.Ctx(t), s, nakama.StorageObjectID{Collection: coll, Key: "a"})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != rejected {
				t.Errorf("deleting again: %q", e.Message)
			}
			err = h.Client.DeleteStorageObjects(h.Ctx(t), s, nakama.StorageObjectID{Collection: coll})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid collection or key value supplied. They must be set." {
				t.Errorf("no key: %q", e.Message)
			}
		}},

		Case{Name: "storage/list", Run: func(t *testing.T, h *Harness) {
			a, b := h.NewUser(t), h.NewUser(t)
			coll := h.Unique("list")
			var writes []nakama.StorageObjectWrite
			for _, k := range []string{"k3", "k0", "k4", "k1", "k2"} {
				writes = append(writes, nakama.StorageObjectWrite{Collection: coll, Key: k, Value: `{}`, PermissionRead: perm(2)})
			}
			writes = append(writes, nakama.StorageObjectWrite{Collection: coll, Key: "k5", Value: `{}`, PermissionRead: perm(1)},
				nakama.StorageObjectWrite{Collection: coll, Key: "k6", Value: `{}`, PermissionRead: perm(0)})
			_, err := h.Client.WriteStorageObjects(h.Ctx(t), a, writes...)
			Must(t, err)
			_, err = h.Client.WriteStorageObjects(h.Ctx(t), b, nakama.StorageObjectWrite{Collection: coll, Key: "k2", Value: `{}`, PermissionRead: perm(2)})
			Must(t, err)

			// pages lists to the end and returns the objects in order.
			pages := func(s *nakama.Session, userID string, limit int) []*api.StorageObject {
				t.Helper()
				var all []*api.StorageObject
				cursor := ""
				for i := 0; ; i++ {
					l, err := h.Client.ListStorageObjects(h.Ctx(t), s, coll,
						&nakama.ListStorageObjectsOptions{UserID: userID, ListOptions: nakama.ListOptions{Limit: limit, Cursor: cursor}})
					Must(t, err)
					if len(l.Objects) > limit {
						t.Fatalf("page of %d objects, limit %d", len(l.Objects), limit)
					}
					all = append(all, l.Objects...)
					if l.Cursor == "" {
						return all
					}
					cursor = l.Cursor
					if i > 10 {
						t.Fatal("paging does not end")
					}
				}
			}
			// Own objects: permission 1 before 2, then by key; permission 0 never.
			if got := storageKeys(pages(a, a.UserID(), 2)); !equalStrings(got, []string{"k5", "k0", "k1", "k2", "k3", "k4"}) {
				t.Errorf("own listing %v", got)
			}
			// Another user's objects: the public ones by key.
			if got := storageKeys(pages(b, a.UserID(), 4)); !equalStrings(got, []string{"k0", "k1", "k2", "k3", "k4"}) {
				t.Errorf("other user's listing %v", got)
			}
			// No user: everyone's public objects, by key then owner.
			all := pages(b, "", 3)
			owners := []string{a.UserID(), b.UserID()}
			sort.Strings(owners)
			wantOwners := []string{a.UserID(), a.UserID(), owners[0], owners[1], a.UserID(), a.UserID()}
			if got := storageKeys(all); !equalStrings(got, []string{"k0", "k1", "k2", "k2", "k3", "k4"}) {
				t.Errorf("public listing %v", got)
			} else {
				for i, o := range all {
					if o.UserId != wantOwners[i] {
						t.Errorf("public listing: object %d is %s's, want %s's", i, o.UserId, wantOwners[i])
					}
				}
			}

			// The default page is one object.
			l, err := h.Client.ListStorageObjects(h.Ctx(t), a, coll, &nakama.ListStorageObjectsOptions{UserID: a.UserID()})
			Must(t, err)
			if len(l.Objects) != 1 || l.Cursor == "" {
				t.Errorf("default page: %d objects, cursor %q", len(l.Objects), l.Cursor)
			}
			_, err = h.Client.ListStorageObjects(h.Ctx(t), a, coll, &nakama.ListStorageObjectsOptions{ListOptions: nakama.ListOptions{Limit: 101}})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid limit - limit must be between 1 and 100." {
				t.Errorf("bad limit: %q", e.Message)
			}
			_, err = h.Client.ListStorageObjects(h.Ctx(t), a, coll, &nakama.ListStorageObjectsOptions{UserID: "nope"})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid user ID - make sure user ID is a valid UUID." {
				t.Errorf("bad user id: %q", e.Message)
			}
			_, err = h.Client.ListStorageObjects(h.Ctx(t), a, coll, &nakama.ListStorageObjectsOptions{ListOptions: nakama.ListOptions{Cursor: "!!"}})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Malformed cursor was used." {
				t.Errorf("bad cursor: %q", e.Message)
			}
		}},
	)
}
