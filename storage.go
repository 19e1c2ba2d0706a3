package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/api"
)

// ReadStorageObjects implements Client.
func (c *DefaultClient) ReadStorageObjects(ctx context.Context, s *Session, ids ...StorageObjectID) (*api.StorageObjects, error) {
	req := &api.ReadStorageObjectsRequest{ObjectIds: make([]*api.ReadStorageObjectId, len(ids))}
	for i, id := range ids {
		req.ObjectIds[i] = &api.ReadStorageObjectId{Collection: id.Collection, Key: id.Key, UserId: id.UserID}
	}
	return call[*api.StorageObjects](ctx, c, "ReadStorageObjects", s, req)
}

// WriteStorageObjects implements Client.
func (c *DefaultClient) WriteStorageObjects(ctx context.Context, s *Session, objects ...StorageObjectWrite) (*api.StorageObjectAcks, error) {
	req := &api.WriteStorageObjectsRequest{Objects: make([]*api.WriteStorageObject, len(objects))}
	for i, o := range objects {
		req.Objects[i] = &api.WriteStorageObject{Collection: o.Collection, Key: o.Key, Value: o.Value, Version: o.Version,
			PermissionRead: optInt32(o.PermissionRead), PermissionWrite: optInt32(o.PermissionWrite)}
	}
	return call[*api.StorageObjectAcks](ctx, c, "WriteStorageObjects", s, req)
}

// DeleteStorageObjects implements Client.
func (c *DefaultClient) DeleteStorageObjects(ctx context.Context, s *Session, ids ...StorageObjectID) error {
	req := &api.DeleteStorageObjectsRequest{ObjectIds: make([]*api.DeleteStorageObjectId, len(ids))}
	for i, id := range ids {
		req.ObjectIds[i] = &api.DeleteStorageObjectId{Collection: id.Collection, Key: id.Key, Version: id.Version}
	}
	return callEmpty(ctx, c, "DeleteStorageObjects", s, req)
}

// ListStorageObjects implements Client.
func (c *DefaultClient) ListStorageObjects(ctx context.Context, s *Session, collection string, opts *ListStorageObjectsOptions) (*api.StorageObjectList, error) {
	var o ListStorageObjectsOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.StorageObjectList](ctx, c, "ListStorageObjects", s, &api.ListStorageObjectsRequest{
		Collection: collection, UserId: o.UserID, Limit: limit32(o.Limit), Cursor: o.Cursor})
}
