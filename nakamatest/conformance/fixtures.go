package conformance

import "encoding/json"

// The suite's server-side setup functions, called as server-to-server RPCs
// with the http key. The Lua module testdata/modules/conformance.lua
// implements them on a real server, and Install on nakamatest; the payloads
// below are their contract (JSON, field names as tagged).
const (
	// FixtureEcho answers with its payload unchanged.
	FixtureEcho = "conformance_echo"
	// FixtureCreateLeaderboard creates a leaderboard from a Leaderboard.
	FixtureCreateLeaderboard = "conformance_create_leaderboard"
	// FixtureCreateTournament creates a tournament from a Tournament.
	FixtureCreateTournament = "conformance_create_tournament"
	// FixtureSendNotification sends a Notification.
	FixtureSendNotification = "conformance_send_notification"
)

// Leaderboard is FixtureCreateLeaderboard's payload.
type Leaderboard struct {
	ID            string `json:"id"`
	Authoritative bool   `json:"authoritative"`
	// SortOrder is "asc" or "desc".
	SortOrder string `json:"sort_order"`
	// Operator is "best", "set", "incr" or "decr".
	Operator      string         `json:"operator"`
	ResetSchedule string         `json:"reset_schedule"`
	Metadata      map[string]any `json:"metadata"`
	EnableRanks   bool           `json:"enable_ranks"`
}

// Tournament is FixtureCreateTournament's payload.
type Tournament struct {
	ID            string         `json:"id"`
	Authoritative bool           `json:"authoritative"`
	SortOrder     string         `json:"sort_order"`
	Operator      string         `json:"operator"`
	Duration      int            `json:"duration"`
	ResetSchedule string         `json:"reset_schedule"`
	Metadata      map[string]any `json:"metadata"`
	Title         string         `json:"title"`
	Description   string         `json:"description"`
	Category      int            `json:"category"`
	StartTime     int64          `json:"start_time"`
	EndTime       int64          `json:"end_time"`
	MaxSize       int            `json:"max_size"`
	MaxNumScore   int            `json:"max_num_score"`
	JoinRequired  bool           `json:"join_required"`
	EnableRanks   bool           `json:"enable_ranks"`
}

// Notification is FixtureSendNotification's payload.
type Notification struct {
	UserID     string         `json:"user_id"`
	Subject    string         `json:"subject"`
	Content    map[string]any `json:"content"`
	Code       int            `json:"code"`
	SenderID   string         `json:"sender_id"`
	Persistent bool           `json:"persistent"`
}

// fixtureContent is the content of a FixtureSendNotification or
// FixtureSendChannelMessage payload as the JSON object the fixture hands
// the server: {} when the payload has none.
func fixtureContent(m map[string]any) (string, error) {
	if m == nil {
		m = map[string]any{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}
