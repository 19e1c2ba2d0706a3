package nakamatest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The last runtime.NakamaModule methods nakamatest models: channel message
// edits, notification lookups, rank switches, friend status, batched
// updates, and the purchase lookups of a server that never validated one.

// ChannelMessageUpdate replaces a stored message's content and tells the
// channel.
func (nk *moduleNK) ChannelMessageUpdate(ctx context.Context, channelID, messageID string, content map[string]any, senderId, senderUsername string, persist bool) (*rtapi.ChannelMessageAck, error) {
	body, err := jsonString(content)
	if err != nil {
		return nil, err
	}
	return nk.channelEdit(channelID, messageID, senderId, func(sender string) (*storedMessage, error) {
		return nk.s.updateChannelMessageLocked(messageID, sender, senderUsername, body)
	})
}

// ChannelMessageRemove deletes a stored message and tells the channel.
func (nk *moduleNK) ChannelMessageRemove(ctx context.Context, channelId, messageId string, senderId, senderUsername string, persist bool) (*rtapi.ChannelMessageAck, error) {
	return nk.channelEdit(channelId, messageId, senderId, func(sender string) (*storedMessage, error) {
		return nk.s.removeChannelMessageLocked(messageId, sender)
	})
}

func (nk *moduleNK) channelEdit(channelID, messageID, senderID string, edit func(sender string) (*storedMessage, error)) (*rtapi.ChannelMessageAck, error) {
	cs, ok := parseChannelID(channelID)
	if !ok {
		return nil, runtime.ErrChannelIDInvalid
	}
	sender := systemUserID
	if senderID != "" {
		id, ok := parseUUID(senderID)
		if !ok {
			return nil, errors.New("expects sender id to be a valid identifier")
		}
		sender = id
	}
	if _, ok := parseUUID(messageID); !ok {
		return nil, errors.New("expects message id to be a valid identifier")
	}
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	row, err := edit(sender)
	if err != nil {
		return nil, err
	}
	msg := row.apiMessage(cs, channelID)
	s.rtSendToStreamLocked(cs, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessage{ChannelMessage: msg}})
	return &rtapi.ChannelMessageAck{ChannelId: channelID, MessageId: msg.MessageId, Code: msg.Code, Username: msg.Username,
		CreateTime: msg.CreateTime, UpdateTime: msg.UpdateTime, Persistent: wrapperspb.Bool(true)}, nil
}

// NotificationsGetId returns the user's stored notifications with these
// ids.
func (nk *moduleNK) NotificationsGetId(ctx context.Context, userID string, ids []string) ([]*runtime.Notification, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil, errors.New("expects user ID to be a valid identifier")
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	var out []*runtime.Notification
	for _, n := range nk.s.notifications.byUser[uid] {
		for _, id := range ids {
			if n.id == id {
				var content map[string]any
				_ = json.Unmarshal([]byte(n.content), &content)
				out = append(out, &runtime.Notification{Id: n.id, UserID: uid, Subject: n.subject, Content: content,
					Code: int(n.code), Sender: n.senderID, CreateTime: timestamppb.New(n.createTime), Persistent: true})
			}
		}
	}
	return out, nil
}

// LeaderboardRanksDisable stops ranking a leaderboard's records.
func (nk *moduleNK) LeaderboardRanksDisable(ctx context.Context, id string) error {
	return nk.ranksDisable(id, false)
}

// TournamentRanksDisable stops ranking a tournament's records.
func (nk *moduleNK) TournamentRanksDisable(ctx context.Context, id string) error {
	return nk.ranksDisable(id, true)
}

func (nk *moduleNK) ranksDisable(id string, tournament bool) error {
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	b := nk.s.leaderboards.boards[id]
	if b == nil || b.isTournament() != tournament {
		if tournament {
			return runtime.ErrTournamentNotFound
		}
		return runtime.ErrLeaderboardNotFound
	}
	b.enableRanks = false
	return nil
}

// UsersGetFriendStatus returns the user's friendship with each of userIDs
// that has one.
func (nk *moduleNK) UsersGetFriendStatus(ctx context.Context, userID string, userIDs []string) ([]*api.Friend, error) {
	fs, ok := nk.s.Friends(userID)
	if !ok {
		return nil, errors.New("user not found")
	}
	var out []*api.Friend
	for _, f := range fs {
		for _, id := range userIDs {
			if f.User.GetId() == id {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// MultiUpdate applies account updates, storage writes and deletes, and
// wallet updates, in that order, stopping at the first failure (nakamatest
// does not roll the earlier parts back).
func (nk *moduleNK) MultiUpdate(ctx context.Context, accountUpdates []*runtime.AccountUpdate, storageWrites []*runtime.StorageWrite, storageDeletes []*runtime.StorageDelete, walletUpdates []*runtime.WalletUpdate, updateLedger bool) ([]*api.StorageObjectAck, []*runtime.WalletUpdateResult, error) {
	for _, u := range accountUpdates {
		if u == nil {
			return nil, nil, errors.New("expects account update to be set")
		}
		if err := nk.AccountUpdateId(ctx, u.UserID, u.Username, u.Metadata, u.DisplayName, u.Timezone, u.Location, u.LangTag, u.AvatarUrl); err != nil {
			return nil, nil, err
		}
	}
	acks, err := nk.StorageWrite(ctx, storageWrites)
	if err != nil {
		return nil, nil, err
	}
	if err := nk.StorageDelete(ctx, storageDeletes); err != nil {
		return nil, nil, err
	}
	var results []*runtime.WalletUpdateResult
	if len(walletUpdates) > 0 {
		if results, err = nk.WalletsUpdate(ctx, walletUpdates, updateLedger); err != nil {
			return nil, nil, err
		}
	}
	return acks, results, nil
}

// PurchasesList lists the user's validated purchases: none, as validation
// needs store credentials nakamatest never has.
func (nk *moduleNK) PurchasesList(ctx context.Context, userID string, limit int, cursor string) (*api.PurchaseList, error) {
	if userID != "" {
		if _, ok := parseUUID(userID); !ok {
			return nil, errors.New("expects a valid user ID")
		}
	}
	return &api.PurchaseList{}, nil
}

// PurchaseGetByTransactionId finds no purchase, as PurchasesList.
func (nk *moduleNK) PurchaseGetByTransactionId(ctx context.Context, transactionID string) (*api.ValidatedPurchase, error) {
	if transactionID == "" {
		return nil, errors.New("expects a transaction id")
	}
	return nil, nil
}

// FriendMetadataUpdate replaces the metadata the user keeps on a
// friendship.
func (nk *moduleNK) FriendMetadataUpdate(ctx context.Context, userID string, friendUserId string, metadata map[string]any) error {
	uid, ok1 := parseUUID(userID)
	fid, ok2 := parseUUID(friendUserId)
	if !ok1 || !ok2 {
		return errors.New("expects user IDs to be valid identifiers")
	}
	body, err := jsonString(metadata)
	if err != nil {
		return err
	}
	meta, ok := friendJSONB(body)
	if !ok {
		return errors.New("expects metadata to be a JSON object")
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	e := nk.s.friends.edges[uid][fid]
	if e == nil {
		return errors.New("friend relationship not found")
	}
	e.metadata = meta
	return nil
}

// NotificationsUpdate changes stored notifications: a nil field keeps its
// value.
func (nk *moduleNK) NotificationsUpdate(ctx context.Context, updates ...runtime.NotificationUpdate) error {
	for _, u := range updates {
		if _, ok := parseUUID(u.Id); !ok {
			return errors.New("expects notification id to be a valid identifier")
		}
	}
	contents := make([]string, len(updates))
	for i, u := range updates {
		if u.Content != nil {
			body, err := jsonString(u.Content)
			if err != nil {
				return err
			}
			if contents[i], err = pgJSONB(body); err != nil {
				return err
			}
		}
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	for i, u := range updates {
		for _, ns := range nk.s.notifications.byUser {
			for _, n := range ns {
				if n.id != strings.ToLower(u.Id) {
					continue
				}
				if u.Subject != nil {
					n.subject = *u.Subject
				}
				if u.Sender != nil {
					n.senderID = *u.Sender
				}
				if u.Content != nil {
					n.content = contents[i]
				}
			}
		}
	}
	return nil
}

// LeaderboardRecordsListCursorFromRank returns a cursor whose listing
// starts at rank ("" for rank 1).
func (nk *moduleNK) LeaderboardRecordsListCursorFromRank(id string, rank, overrideExpiry int64) (string, error) {
	switch {
	case id == "":
		return "", errors.New("invalid leaderboard id")
	case rank < 1:
		return "", errors.New("invalid rank - must be > 1")
	case overrideExpiry < 0:
		return "", errors.New("expects expiry to equal or greater than 0")
	}
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.leaderboards.boards[id]
	if b == nil {
		return "", runtime.ErrLeaderboardNotFound
	}
	expiry, ok := b.listingExpiry(overrideExpiry, s.clock.now())
	if !ok {
		return "", errors.New("invalid expiry")
	}
	if rank == 1 {
		return "", nil
	}
	recs := b.ordered(expiry)
	if int(rank-1) > len(recs) {
		return "", errors.New("failed to get cursor from rank: rank not found")
	}
	r := recs[rank-2].api(id)
	r.Rank = rank - 1
	return cursorFrom(true, id, expiry, r).encode(), nil
}
