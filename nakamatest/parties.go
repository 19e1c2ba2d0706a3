package nakamatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// partyLabelMaxBytes is the longest label a party may have.
const partyLabelMaxBytes = 2048

// partyEntry is one party as the party registry's listing index holds it.
type partyEntry struct {
	seq        int64 // index order: an update moves the party to the end
	id         string
	open       bool
	hidden     bool
	maxSize    int
	label      string
	createTime time.Time
	doc        *indexDoc
}

// partyState is the party registry's listing index.
type partyState struct {
	seq     int64
	parties map[string]*partyEntry
}

func (s *Server) registerParties() {
	s.parties.parties = make(map[string]*partyEntry)
	handle(s, "ListParties", s.listParties)
}

// putPartyLocked indexes a party (or re-indexes it after a change) with the
// registry's rules: a hidden party may not have a label, an empty label is
// "{}", and a label must be a JSON object of at most 2048 bytes. s.mu is
// held.
func (s *Server) putPartyLocked(id string, open, hidden bool, maxSize int, label string, created time.Time) error {
	if !(label == "" || label == "{}") && hidden {
		return newError(InvalidArgument, "party is hidden and label is not empty, invalid operation")
	}
	if label == "" {
		label = "{}"
	}
	if len(label) > partyLabelMaxBytes {
		return newError(InvalidArgument, "party label too long, must be 0-2048 bytes")
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(label), &fields); err != nil {
		return newError(InvalidArgument, "failed to unmarshal party label: "+err.Error())
	}
	d := newIndexDoc()
	d.keyword("node", matchNode)
	d.keyword("open", boolKeyword(open))
	d.keyword("hidden", boolKeyword(hidden))
	d.number("max_size", float64(maxSize))
	d.dates["create_time"] = []time.Time{created}
	if fields != nil {
		d.walk("label", fields)
	}
	s.parties.seq++
	s.parties.parties[id] = &partyEntry{seq: s.parties.seq, id: id, open: open, hidden: hidden, maxSize: maxSize,
		label: label, createTime: created, doc: d}
	return nil
}

// removePartyLocked drops a party from the index. s.mu is held.
func (s *Server) removePartyLocked(id string) bool {
	_, ok := s.parties.parties[id]
	delete(s.parties.parties, id)
	return ok
}

func boolKeyword(b bool) string {
	if b {
		return "T"
	}
	return "F"
}

// partyCursor is the offset of the next page of one listing: a cursor only
// continues a listing with the same query, open filter and limit.
type partyCursor struct {
	Query  string `json:"q"`
	Open   *bool  `json:"o,omitempty"`
	Offset int    `json:"f"`
	Limit  int    `json:"l"`
}

func (s *Server) listParties(_ context.Context, _ *call, req *api.ListPartiesRequest) (*api.PartyList, error) {
	limit := 10
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, msgLimit100)
		}
		limit = int(req.Limit.Value)
	}
	var open *bool
	if req.Open != nil {
		v := req.Open.Value
		open = &v
	}
	// Every failure of the party listing is reported with the match
	// listing's message, as the server does.
	failed := newError(Internal, "Error listing matches.")
	query := req.GetQuery().GetValue()
	if query == "" {
		query = "*"
	}
	offset := 0
	if c := req.GetCursor().GetValue(); c != "" {
		var cur partyCursor
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || json.Unmarshal(b, &cur) != nil {
			return nil, failed
		}
		if cur.Query != query || cur.Limit != limit {
			return nil, failed
		}
		// A cursor continues only a listing with the same open filter, or
		// none for none. (When one side has a filter and the other has not,
		// the server dereferences a nil pointer; here that is a mismatch.)
		if (open == nil) != (cur.Open == nil) || (open != nil && *open != *cur.Open) {
			return nil, failed
		}
		offset = cur.Offset
	}
	q, err := parseIndexQuery(query)
	if err != nil {
		return nil, failed
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	type hit struct {
		e     *partyEntry
		score float64
	}
	var hits []hit
	for _, e := range s.parties.parties {
		if e.hidden || (open != nil && e.open != *open) {
			continue
		}
		if ok, score := q.eval(e.doc); ok {
			hits = append(hits, hit{e, score})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return int(a.e.seq - b.e.seq)
	})
	out := &api.PartyList{}
	if offset < len(hits) {
		hits = hits[offset:]
	} else {
		hits = nil
	}
	if len(hits) == 0 {
		return out, nil
	}
	if len(hits) > limit {
		hits = hits[:limit]
		b, _ := json.Marshal(partyCursor{Query: query, Open: open, Offset: offset + limit, Limit: limit})
		out.Cursor = base64.RawURLEncoding.EncodeToString(b)
	}
	for _, h := range hits {
		out.Parties = append(out.Parties, &api.Party{
			PartyId: h.e.id,
			Open:    h.e.open,
			Hidden:  h.e.hidden,
			MaxSize: int32(h.e.maxSize),
			Label:   h.e.label,
		})
	}
	return out, nil
}

// Party describes a party for AddParty.
type Party struct {
	// Open parties accept joins without approval.
	Open bool
	// Hidden parties are never listed, and may not have a label.
	Hidden bool
	// MaxSize is the most members the party takes.
	MaxSize int
	// Label is a JSON object of at most 2048 bytes; "" means "{}". Its
	// fields are searchable by query (label.<field>:<value>).
	Label string
}

// AddParty makes a party appear in ListParties, as if a user had created
// it, and returns its id ("<uuid>.nakama").
func (s *Server) AddParty(p Party) (string, error) {
	id := s.rand.uuid() + "." + matchNode
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.putPartyLocked(id, p.Open, p.Hidden, p.MaxSize, p.Label, s.clock.now()); err != nil {
		return "", err
	}
	return id, nil
}

// UpdateParty changes a listed party, as its leader's update does. It
// fails with NotFound for an unknown id.
func (s *Server) UpdateParty(id string, p Party) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.parties.parties[id]
	if old == nil {
		return newError(NotFound, "Party not found.")
	}
	return s.putPartyLocked(id, p.Open, p.Hidden, p.MaxSize, p.Label, old.createTime)
}

// RemoveParty closes a listed party and reports whether it existed.
func (s *Server) RemoveParty(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removePartyLocked(id)
}
