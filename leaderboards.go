package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/api"
)

// WriteLeaderboardRecord implements Client.
func (c *DefaultClient) WriteLeaderboardRecord(ctx context.Context, s *Session, leaderboardID string, score int64, opts *WriteRecordOptions) (*api.LeaderboardRecord, error) {
	var o WriteRecordOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.LeaderboardRecord](ctx, c, "WriteLeaderboardRecord", s, &api.WriteLeaderboardRecordRequest{
		LeaderboardId: leaderboardID,
		Record:        &api.WriteLeaderboardRecordRequest_LeaderboardRecordWrite{Score: score, Subscore: o.Subscore, Metadata: o.Metadata, Operator: o.Operator}})
}

// DeleteLeaderboardRecord implements Client.
func (c *DefaultClient) DeleteLeaderboardRecord(ctx context.Context, s *Session, leaderboardID string) error {
	return callEmpty(ctx, c, "DeleteLeaderboardRecord", s, &api.DeleteLeaderboardRecordRequest{LeaderboardId: leaderboardID})
}

// ListLeaderboardRecords implements Client.
func (c *DefaultClient) ListLeaderboardRecords(ctx context.Context, s *Session, leaderboardID string, opts *ListRecordsOptions) (*api.LeaderboardRecordList, error) {
	var o ListRecordsOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.LeaderboardRecordList](ctx, c, "ListLeaderboardRecords", s, &api.ListLeaderboardRecordsRequest{
		LeaderboardId: leaderboardID, OwnerIds: o.OwnerIDs, Limit: limit32(o.Limit), Cursor: o.Cursor, Expiry: expiry64(o.Expiry)})
}

// ListLeaderboardRecordsAroundOwner implements Client.
func (c *DefaultClient) ListLeaderboardRecordsAroundOwner(ctx context.Context, s *Session, leaderboardID, ownerID string, opts *ListRecordsAroundOwnerOptions) (*api.LeaderboardRecordList, error) {
	var o ListRecordsAroundOwnerOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.LeaderboardRecordList](ctx, c, "ListLeaderboardRecordsAroundOwner", s, &api.ListLeaderboardRecordsAroundOwnerRequest{
		LeaderboardId: leaderboardID, OwnerId: ownerID, Limit: limitU32(o.Limit), Cursor: o.Cursor, Expiry: expiry64(o.Expiry)})
}

// ListTournaments implements Client.
func (c *DefaultClient) ListTournaments(ctx context.Context, s *Session, opts *ListTournamentsOptions) (*api.TournamentList, error) {
	var o ListTournamentsOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.TournamentList](ctx, c, "ListTournaments", s, &api.ListTournamentsRequest{
		CategoryStart: optUint32(o.CategoryStart), CategoryEnd: optUint32(o.CategoryEnd),
		StartTime: optUint32(o.StartTime), EndTime: optUint32(o.EndTime), Limit: limit32(o.Limit), Cursor: o.Cursor})
}

// JoinTournament implements Client.
func (c *DefaultClient) JoinTournament(ctx context.Context, s *Session, tournamentID string) error {
	return callEmpty(ctx, c, "JoinTournament", s, &api.JoinTournamentRequest{TournamentId: tournamentID})
}

// WriteTournamentRecord implements Client.
func (c *DefaultClient) WriteTournamentRecord(ctx context.Context, s *Session, tournamentID string, score int64, opts *WriteRecordOptions) (*api.LeaderboardRecord, error) {
	var o WriteRecordOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.LeaderboardRecord](ctx, c, "WriteTournamentRecord", s, &api.WriteTournamentRecordRequest{
		TournamentId: tournamentID,
		Record:       &api.WriteTournamentRecordRequest_TournamentRecordWrite{Score: score, Subscore: o.Subscore, Metadata: o.Metadata, Operator: o.Operator}})
}

// DeleteTournamentRecord implements Client.
func (c *DefaultClient) DeleteTournamentRecord(ctx context.Context, s *Session, tournamentID string) error {
	return callEmpty(ctx, c, "DeleteTournamentRecord", s, &api.DeleteTournamentRecordRequest{TournamentId: tournamentID})
}

// ListTournamentRecords implements Client.
func (c *DefaultClient) ListTournamentRecords(ctx context.Context, s *Session, tournamentID string, opts *ListRecordsOptions) (*api.TournamentRecordList, error) {
	var o ListRecordsOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.TournamentRecordList](ctx, c, "ListTournamentRecords", s, &api.ListTournamentRecordsRequest{
		TournamentId: tournamentID, OwnerIds: o.OwnerIDs, Limit: limit32(o.Limit), Cursor: o.Cursor, Expiry: expiry64(o.Expiry)})
}

// ListTournamentRecordsAroundOwner implements Client.
func (c *DefaultClient) ListTournamentRecordsAroundOwner(ctx context.Context, s *Session, tournamentID, ownerID string, opts *ListRecordsAroundOwnerOptions) (*api.TournamentRecordList, error) {
	var o ListRecordsAroundOwnerOptions
	if opts != nil {
		o = *opts
	}
	return call[*api.TournamentRecordList](ctx, c, "ListTournamentRecordsAroundOwner", s, &api.ListTournamentRecordsAroundOwnerRequest{
		TournamentId: tournamentID, OwnerId: ownerID, Limit: limitU32(o.Limit), Cursor: o.Cursor, Expiry: expiry64(o.Expiry)})
}
