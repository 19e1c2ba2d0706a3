package nakamatest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The storage engine's messages, as the real server words them.
const (
	msgStorageKeyRequired     = "Invalid collection or key value supplied. They must be set."
	msgStorageVersionRejected = "Storage write rejected - version check failed."
	msgStoragePermRejected    = "Storage write rejected - permission denied."
	msgStorageDeleteRejected  = "Storage delete rejected - not found, version check failed, or permission denied."
	msgStorageWriteFailed     = "Error writing storage objects."
	msgStorageReadFailed      = "Error reading storage objects."
	msgStorageListFailed      = "Error listing storage objects."
	msgStorageDeleteFailed    = "Error deleting storage objects."
	msgInvalidUserUUID        = "Invalid user ID - make sure user ID is a valid UUID."
	msgMalformedCursor        = "Malformed cursor was used."
	msgLimit100               = "Invalid limit - limit must be between 1 and 100."
)

// storageColumnWidth is the width of the collection and key columns; a
// longer value fails in the database.
const storageColumnWidth = 128

type storageKey struct{ collection, key, userID string }

// storageObject is one row of the storage table. The value is kept as the
// database returns it (see pgJSONB); the version is the MD5 of the value
// as it was written. Times have the database's microsecond precision.
type storageObject struct {
	storageKey
	value       string
	version     string
	read, write int32
	createTime  time.Time
	updateTime  time.Time
}

// apiObject returns the object as reads and listings show it, with times
// in whole seconds.
func (o *storageObject) apiObject() *api.StorageObject {
	return &api.StorageObject{
		Collection:      o.collection,
		Key:             o.key,
		UserId:          o.userID,
		Value:           o.value,
		Version:         o.version,
		PermissionRead:  o.read,
		PermissionWrite: o.write,
		CreateTime:      &timestamppb.Timestamp{Seconds: o.createTime.Unix()},
		UpdateTime:      &timestamppb.Timestamp{Seconds: o.updateTime.Unix()},
	}
}

// storageState holds every storage object.
type storageState struct {
	objects map[storageKey]*storageObject
}

func (s *Server) registerStorage() {
	s.storage.objects = make(map[storageKey]*storageObject)
	s.st.userDeleted = append(s.st.userDeleted, func(userID string) {
		for k := range s.storage.objects {
			if k.userID == userID {
				delete(s.storage.objects, k)
			}
		}
	})
	handle(s, "WriteStorageObjects", s.writeStorageObjects)
	handle(s, "ReadStorageObjects", s.readStorageObjects)
	handle(s, "DeleteStorageObjects", s.deleteStorageObjects)
	handle(s, "ListStorageObjects", s.listStorageObjects)
	handle(s, "ListStorageObjects2", s.listStorageObjects)
}

// dbMicros truncates t to the microsecond precision of a timestamptz.
func dbMicros(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// validText reports whether s can be stored in a text column: the database
// refuses invalid UTF-8 and NUL characters.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// storageWrite is one write of a batch, by its owner.
type storageWrite struct {
	obj   *api.WriteStorageObject
	owner string
}

func (s *Server) writeStorageObjects(_ context.Context, c *call, req *api.WriteStorageObjectsRequest) (*api.StorageObjectAcks, error) {
	if len(req.Objects) == 0 {
		return &api.StorageObjectAcks{}, nil
	}
	if err := checkStorageWrites(req.Objects); err != nil {
		return nil, err
	}
	writes := make([]storageWrite, len(req.Objects))
	for i, o := range req.Objects {
		writes[i] = storageWrite{obj: o, owner: c.userID}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acks, err := s.applyStorageWrites(writes, false)
	if err != nil {
		return nil, err
	}
	return &api.StorageObjectAcks{Acks: acks}, nil
}

// checkStorageWrites applies the API's validation, object by object.
func checkStorageWrites(objects []*api.WriteStorageObject) error {
	for _, o := range objects {
		if o.GetCollection() == "" || o.GetKey() == "" || o.GetValue() == "" {
			return newError(InvalidArgument, msgStorageKeyRequired)
		}
		if p := o.GetPermissionRead(); p != nil && (p.Value < 0 || p.Value > 2) {
			return newError(InvalidArgument, "Invalid Read permission supplied. It must be either 0, 1 or 2.")
		}
		if p := o.GetPermissionWrite(); p != nil && (p.Value < 0 || p.Value > 1) {
			return newError(InvalidArgument, "Invalid Write permission supplied. It must be either 0 or 1.")
		}
		if v := []byte(o.GetValue()); !json.Valid(v) || bytes.TrimSpace(v)[0] != '{' {
			return newError(InvalidArgument, "Value must be a JSON object.")
		}
	}
	return nil
}

// applyStorageWrites performs a batch of validated writes atomically: all
// of them or, at the first failure, none. As on the server, the writes run
// in (collection, key, owner) order, so that of several failures the first
// in that order is reported, and acks come back in request order. An
// authoritative batch (the runtime's) ignores write permissions. s.mu is
// held.
func (s *Server) applyStorageWrites(writes []storageWrite, authoritative bool) ([]*api.StorageObjectAck, error) {
	order := make([]int, len(writes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := writes[a], writes[b]
		if c := strings.Compare(x.obj.Collection, y.obj.Collection); c != 0 {
			return c
		}
		if c := strings.Compare(x.obj.Key, y.obj.Key); c != 0 {
			return c
		}
		return strings.Compare(x.owner, y.owner)
	})

	// One transaction, one now(): every object of the batch gets the same
	// time.
	now := dbMicros(s.clock.now())
	failed := newError(Internal, msgStorageWriteFailed)
	staged := make(map[storageKey]*storageObject, len(writes))
	acks := make([]*api.StorageObjectAck, len(writes))
	for _, i := range order {
		w := writes[i]
		o := w.obj
		k := storageKey{o.Collection, o.Key, w.owner}
		if !validText(o.Collection) || !validText(o.Key) {
			return nil, failed
		}
		value, err := pgJSONB(o.Value)
		if err != nil {
			return nil, failed
		}
		if s.st.users[w.owner] == nil {
			return nil, failed // the owner must exist
		}
		read, write := int32(1), int32(1)
		if o.PermissionRead != nil {
			read = o.PermissionRead.Value
		}
		if o.PermissionWrite != nil {
			write = o.PermissionWrite.Value
		}
		sum := md5.Sum([]byte(o.Value))
		version := hex.EncodeToString(sum[:])
		tooLong := utf8.RuneCountInString(o.Collection) > storageColumnWidth ||
			utf8.RuneCountInString(o.Key) > storageColumnWidth

		cur, found := staged[k]
		if !found {
			cur = s.storage.objects[k]
		}
		var next *storageObject
		switch {
		case o.Version == "*":
			if tooLong {
				return nil, failed
			}
			if cur != nil {
				return nil, newError(InvalidArgument, msgStorageVersionRejected)
			}
			next = &storageObject{storageKey: k, createTime: now}
		case o.Version == "":
			if tooLong {
				return nil, failed
			}
			switch {
			case cur == nil:
				next = &storageObject{storageKey: k, createTime: now}
			case !authoritative && cur.write != 1:
				return nil, newError(InvalidArgument, msgStoragePermRejected)
			case cur.version == version && cur.read == read && cur.write == write:
				// The row is left alone, update time included.
				acks[i] = storageAck(cur)
				continue
			default:
				next = cur.clone()
			}
		default:
			if cur == nil {
				return nil, newError(InvalidArgument, msgStorageVersionRejected)
			}
			if !authoritative && cur.write != 1 {
				return nil, newError(InvalidArgument, msgStoragePermRejected)
			}
			if cur.version != o.Version {
				return nil, newError(InvalidArgument, msgStorageVersionRejected)
			}
			next = cur.clone()
		}
		next.value, next.version, next.read, next.write, next.updateTime = value, version, read, write, now
		staged[k] = next
		acks[i] = storageAck(next)
	}
	for k, o := range staged {
		s.storage.objects[k] = o
	}
	return acks, nil
}

func (o *storageObject) clone() *storageObject {
	c := *o
	return &c
}

// storageAck acknowledges a write; unlike reads, acks carry the database's
// sub-second times.
func storageAck(o *storageObject) *api.StorageObjectAck {
	return &api.StorageObjectAck{
		Collection: o.collection,
		Key:        o.key,
		Version:    o.version,
		UserId:     o.userID,
		CreateTime: timestamppb.New(o.createTime),
		UpdateTime: timestamppb.New(o.updateTime),
	}
}

func (s *Server) readStorageObjects(_ context.Context, c *call, req *api.ReadStorageObjectsRequest) (*api.StorageObjects, error) {
	if len(req.ObjectIds) == 0 {
		return &api.StorageObjects{}, nil
	}
	keys := make([]storageKey, 0, len(req.ObjectIds))
	for _, id := range req.ObjectIds {
		if id.GetCollection() == "" || id.GetKey() == "" {
			return nil, newError(InvalidArgument, msgStorageKeyRequired)
		}
		// No user id reads the system user's objects, not the caller's.
		owner := systemUserID
		if id.GetUserId() != "" {
			uid, ok := parseUUID(id.GetUserId())
			if !ok || uid == systemUserID {
				return nil, newError(InvalidArgument, msgInvalidUserUUID)
			}
			owner = uid
		}
		if !validText(id.Collection) || !validText(id.Key) {
			return nil, newError(Internal, msgStorageReadFailed)
		}
		keys = append(keys, storageKey{id.Collection, id.Key, owner})
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	found := s.readableObjects(c.userID, keys)
	out := &api.StorageObjects{Objects: make([]*api.StorageObject, 0, len(found))}
	for _, o := range found {
		out.Objects = append(out.Objects, o.apiObject())
	}
	return out, nil
}

// readableObjects returns the objects named by keys that caller may read
// (caller "" reads everything, as the runtime does), each once, in
// (collection, key, owner) order. s.mu is held.
func (s *Server) readableObjects(caller string, keys []storageKey) []*storageObject {
	seen := make(map[storageKey]bool, len(keys))
	var found []*storageObject
	for _, k := range keys {
		o := s.storage.objects[k]
		if o == nil || seen[k] {
			continue
		}
		seen[k] = true
		if caller != "" && o.read != 2 && (o.read != 1 || o.userID != caller) {
			continue
		}
		found = append(found, o)
	}
	slices.SortFunc(found, func(a, b *storageObject) int { return compareStorageKeys(a.storageKey, b.storageKey) })
	return found
}

func compareStorageKeys(a, b storageKey) int {
	if c := strings.Compare(a.collection, b.collection); c != 0 {
		return c
	}
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	return strings.Compare(a.userID, b.userID)
}

func (s *Server) deleteStorageObjects(_ context.Context, c *call, req *api.DeleteStorageObjectsRequest) (*emptypb.Empty, error) {
	if len(req.ObjectIds) == 0 {
		return &emptypb.Empty{}, nil
	}
	for _, id := range req.ObjectIds {
		if id.GetCollection() == "" || id.GetKey() == "" {
			return nil, newError(InvalidArgument, msgStorageKeyRequired)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.applyStorageDeletes(c.userID, req.ObjectIds, false); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// applyStorageDeletes deletes the owner's objects atomically, in
// (collection, key) order. A client's delete fails unless each object
// exists, is writable and has the given version (if any). s.mu is held.
func (s *Server) applyStorageDeletes(owner string, ids []*api.DeleteStorageObjectId, authoritative bool) error {
	sorted := slices.Clone(ids)
	slices.SortStableFunc(sorted, func(a, b *api.DeleteStorageObjectId) int {
		if c := strings.Compare(a.Collection, b.Collection); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	gone := make(map[storageKey]bool, len(ids))
	for _, id := range sorted {
		if !validText(id.Collection) || !validText(id.Key) {
			return newError(Internal, msgStorageDeleteFailed)
		}
		k := storageKey{id.Collection, id.Key, owner}
		o := s.storage.objects[k]
		if gone[k] {
			o = nil
		}
		ok := o != nil && (authoritative || o.write > 0) && (id.Version == "" || id.Version == o.version)
		if !ok {
			if authoritative && id.Version == "" {
				continue // nothing to delete is fine for the runtime
			}
			return newError(InvalidArgument, msgStorageDeleteRejected)
		}
		gone[k] = true
	}
	for k := range gone {
		delete(s.storage.objects, k)
	}
	return nil
}

// storageCursor is where a listing resumes: after the object with this
// read permission, key and owner, in the listing's order.
type storageCursor struct {
	Read   int32  `json:"r"`
	Key    string `json:"k"`
	UserID string `json:"u"`
}

func (s *Server) listStorageObjects(_ context.Context, c *call, req *api.ListStorageObjectsRequest) (*api.StorageObjectList, error) {
	limit := 1
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, msgLimit100)
		}
		limit = int(req.Limit.Value)
	}
	owner := ""
	if req.UserId != "" {
		uid, ok := parseUUID(req.UserId)
		if !ok {
			return nil, newError(InvalidArgument, msgInvalidUserUUID)
		}
		owner = uid
	}
	var cur *storageCursor
	if req.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(req.Cursor)
		cur = &storageCursor{}
		if err != nil || json.Unmarshal(b, cur) != nil {
			return nil, newError(InvalidArgument, msgMalformedCursor)
		}
	}
	if !validText(req.Collection) {
		return nil, newError(Internal, msgStorageListFailed)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.listStorage(c.userID, owner, req.Collection, limit, cur)
	if req.Cursor != "" && list.Cursor == req.Cursor {
		list.Cursor = ""
	}
	return list, nil
}

// listStorage lists a collection for caller ("" for the runtime, which
// sees everything) as the server does. Without an owner it lists the
// public objects of every owner by key then owner; the caller's own
// objects come with those it may read (permission 1 or 2) by permission
// then key; another user's objects are the public ones, by key. s.mu is
// held.
func (s *Server) listStorage(caller, owner, collection string, limit int, cur *storageCursor) *api.StorageObjectList {
	type mode int
	const (
		allPublic mode = iota
		own
		othersPublic
	)
	m := allPublic
	switch {
	case owner == "":
	case owner == caller || caller == "":
		m = own
	default:
		m = othersPublic
	}
	var rows []*storageObject
	for _, o := range s.storage.objects {
		if o.collection != collection {
			continue
		}
		switch m {
		case allPublic:
			if caller != "" && o.read < 2 {
				continue
			}
		case own:
			if o.userID != owner || (caller != "" && o.read < 1) {
				continue
			}
		case othersPublic:
			if o.userID != owner || o.read != 2 {
				continue
			}
		}
		rows = append(rows, o)
	}
	// Each order is a tuple; the cursor resumes strictly after it.
	tuple := func(read int32, key, user string) []string {
		r := strconv.Itoa(int(read))
		switch m {
		case own:
			return []string{r, key}
		case othersPublic:
			return []string{key}
		}
		return []string{r, key, user}
	}
	less := func(a, b []string) int { return slices.Compare(a, b) }
	slices.SortFunc(rows, func(a, b *storageObject) int {
		return less(tuple(a.read, a.key, a.userID), tuple(b.read, b.key, b.userID))
	})
	if cur != nil {
		after := tuple(cur.Read, cur.Key, cur.UserID)
		if m == allPublic && caller != "" {
			after = tuple(2, cur.Key, cur.UserID) // client listings only ever hold read 2
		}
		rows = slices.DeleteFunc(rows, func(o *storageObject) bool {
			return less(tuple(o.read, o.key, o.userID), after) <= 0
		})
	}
	out := &api.StorageObjectList{Objects: make([]*api.StorageObject, 0, min(limit, len(rows)))}
	for i, o := range rows {
		if i == limit {
			last := rows[i-1]
			b, _ := json.Marshal(storageCursor{Read: last.read, Key: last.key, UserID: last.userID})
			out.Cursor = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		out.Objects = append(out.Objects, o.apiObject())
	}
	return out
}

// StorageWrite describes an object for WriteStorageObject, as the runtime's
// storage writes do.
type StorageWrite struct {
	// Collection and Key name the object; both are required.
	Collection string
	Key        string
	// UserID is the owner; "" means the system user, which owns
	// server-side objects.
	UserID string
	// Value is a JSON object.
	Value string
	// Version makes the write conditional, as for WriteStorageObjects: "*"
	// only if the object does not exist, any other value only if it is the
	// object's current version.
	Version string
	// PermissionRead is 0 (no client reads), 1 (the owner reads) or 2
	// (everyone reads); nil means 1.
	PermissionRead *int32
	// PermissionWrite is 0 (no client writes) or 1 (the owner writes); nil
	// means 1.
	PermissionWrite *int32
}

// WriteStorageObject writes one object with the runtime's authority: write
// permissions do not apply, but versions do. It fails with an *Error when
// the API would refuse the object, when the owner does not exist, or when
// the version check fails.
func (s *Server) WriteStorageObject(w StorageWrite) (*api.StorageObjectAck, error) {
	obj := &api.WriteStorageObject{Collection: w.Collection, Key: w.Key, Value: w.Value, Version: w.Version}
	if w.PermissionRead != nil {
		obj.PermissionRead = wrapperspb.Int32(*w.PermissionRead)
	}
	if w.PermissionWrite != nil {
		obj.PermissionWrite = wrapperspb.Int32(*w.PermissionWrite)
	}
	if err := checkStorageWrites([]*api.WriteStorageObject{obj}); err != nil {
		return nil, err
	}
	owner, ok := storageOwner(w.UserID)
	if !ok {
		return nil, newError(InvalidArgument, msgInvalidUserUUID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.users[owner] == nil {
		return nil, newError(NotFound, msgUserNotFound)
	}
	acks, err := s.applyStorageWrites([]storageWrite{{obj: obj, owner: owner}}, true)
	if err != nil {
		return nil, err
	}
	return acks[0], nil
}

// StorageObject returns an object whatever its permissions, and whether it
// exists. userID "" names the system user.
func (s *Server) StorageObject(collection, key, userID string) (*api.StorageObject, bool) {
	owner, ok := storageOwner(userID)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.storage.objects[storageKey{collection, key, owner}]
	if o == nil {
		return nil, false
	}
	return o.apiObject(), true
}

// StorageObjects returns every object of a collection whatever its
// permissions, ordered by key then owner.
func (s *Server) StorageObjects(collection string) []*api.StorageObject {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*storageObject
	for _, o := range s.storage.objects {
		if o.collection == collection {
			rows = append(rows, o)
		}
	}
	slices.SortFunc(rows, func(a, b *storageObject) int { return compareStorageKeys(a.storageKey, b.storageKey) })
	out := make([]*api.StorageObject, len(rows))
	for i, o := range rows {
		out[i] = o.apiObject()
	}
	return out
}

// DeleteStorageObject deletes an object whatever its permissions and
// reports whether it existed. userID "" names the system user.
func (s *Server) DeleteStorageObject(collection, key, userID string) bool {
	owner, ok := storageOwner(userID)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := storageKey{collection, key, owner}
	_, ok = s.storage.objects[k]
	delete(s.storage.objects, k)
	return ok
}

// storageOwner reads the owner of an object named through the direct API:
// a user id, or "" for the system user.
func storageOwner(userID string) (string, bool) {
	if userID == "" {
		return systemUserID, true
	}
	return parseUUID(userID)
}
