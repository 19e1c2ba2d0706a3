package nakamatest

import (
	"cmp"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
)

// Parties over the socket, as the server's party handler runs them: a
// leader, members in the order they joined (the oldest becomes leader
// when the leader leaves), join requests for closed parties, and a
// presence stream ("<uuid>.nakama") whose joins and leaves keep the
// member list in step. Listings go through parties.go.

// The runtime's party errors, whose text the socket's messages end with.
var (
	errPartyNotFound         = errors.New("party not found")
	errPartyClosed           = errors.New("party closed")
	errPartyFull             = errors.New("party full")
	errPartyRequestDuplicate = errors.New("party join request duplicate")
	errPartyRequestsFull     = errors.New("party join requests full")
	errPartyNotLeader        = errors.New("party leader only")
	errPartyNotMember        = errors.New("party member not found")
	errPartyNotRequest       = errors.New("party join request not found")
	errPartyAcceptRequest    = errors.New("party could not accept request")
	errPartyRemoveSelf       = errors.New("party cannot remove self")
	errPartyLabelTooLong     = errors.New("party label too long")
	errPartyHiddenWithLabel  = errors.New("party is hidden and label is not empty, invalid operation")
	msgPartyLabelUnmarshal   = "failed to unmarshal party label: "
	partyMaxSizeLimit        = int32(256)
	msgInvalidPartyID        = "Invalid party ID"
	msgInvalidPartyPresence  = "Invalid presence"
)

// rtPartyMember is a member or a join request.
type rtPartyMember struct {
	sessionID, userID, username string
}

func (m *rtPartyMember) userPresence() *rtapi.UserPresence {
	return &rtapi.UserPresence{UserId: m.userID, SessionId: m.sessionID, Username: m.username}
}

// is reports whether p names this member exactly: session, user and
// username, as the server compares them.
func (m *rtPartyMember) is(p *rtapi.UserPresence) bool {
	return m.sessionID == p.SessionId && m.userID == p.UserId && m.username == p.Username
}

// rtParty is a running party.
type rtParty struct {
	id       string // UUID
	idStr    string // <uuid>.nakama
	open     bool
	maxSize  int
	created  time.Time
	stream   rtStream
	leader   *rtPartyMember
	members  []*rtPartyMember
	reserved map[string]bool // session ids accepted but not yet joined
	requests []*rtPartyMember
	stopped  bool
}

func (p *rtParty) member(sessionID string) *rtPartyMember {
	for _, m := range p.members {
		if m.sessionID == sessionID {
			return m
		}
	}
	return nil
}

func (p *rtParty) size() int { return len(p.members) + len(p.reserved) }

// join adds members, unless that would take the party over its size.
func (p *rtParty) join(ms []*rtPartyMember) error {
	n := 0
	for _, m := range ms {
		if !p.reserved[m.sessionID] && p.member(m.sessionID) == nil {
			n++
		}
	}
	if n > 0 && p.size()+n > p.maxSize {
		return errPartyFull
	}
	for _, m := range ms {
		delete(p.reserved, m.sessionID)
		if p.member(m.sessionID) == nil {
			p.members = append(p.members, m)
		}
	}
	return nil
}

func (p *rtParty) isLeader(sessionID string) bool {
	return p.leader != nil && p.leader.sessionID == sessionID
}

func partyStream(id string) rtStream {
	return rtStream{mode: streamModeParty, subject: id, subcontext: systemUserID, label: matchNode}
}

// rtPartyID parses a party id, answering the request's error itself when
// it is malformed.
func (s *Server) rtPartyID(sess *rtSession, cid, partyID string) (uuid, node string, ok bool) {
	uuid, node, ok = splitNodeID(partyID)
	if !ok {
		sess.sendError(cid, rtapi.Error_BAD_INPUT, msgInvalidPartyID)
	}
	return uuid, node, ok
}

func (s *Server) rtPartyLocked(uuid, node string) (*rtParty, error) {
	if node != matchNode {
		return nil, errPartyNotFound
	}
	p := s.realtime.parties[uuid]
	if p == nil {
		return nil, errPartyNotFound
	}
	return p, nil
}

func validPartyPresence(p *rtapi.UserPresence) bool {
	return p != nil && p.UserId != "" && p.SessionId != "" && p.Username != ""
}

// checkPartyLabel applies the party registry's label rules.
func checkPartyLabel(label string) error {
	if label == "" {
		label = "{}"
	}
	if len(label) > partyLabelMaxBytes {
		return errPartyLabelTooLong
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(label), &v); err != nil {
		return errors.New(msgPartyLabelUnmarshal + err.Error())
	}
	return nil
}

func (s *Server) rtPartyCreate(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyCreate()
	if in.MaxSize < 0 || in.MaxSize > partyMaxSizeLimit {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid party max size, must be 1-256")
		return
	}
	if err := checkPartyLabel(in.Label); err != nil {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Error creating party: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	id := s.rand.uuid()
	leader := &rtPartyMember{sessionID: sess.id, userID: sess.userID, username: sess.username}
	p := &rtParty{id: id, idStr: id + "." + matchNode, open: in.Open, maxSize: int(in.MaxSize), created: s.clock.now(),
		stream: partyStream(id), leader: leader, reserved: map[string]bool{}}
	_ = p.join([]*rtPartyMember{leader}) // a party of size 0 has no room even for its leader
	s.realtime.parties[id] = p
	// A hidden party is never listed, so its label, which the listing
	// would refuse, does not matter there.
	label := in.Label
	if in.Hidden {
		label = ""
	}
	_ = s.putPartyLocked(p.idStr, in.Open, in.Hidden, int(in.MaxSize), label, p.created)

	if ok, _ := s.rtTrackLocked(sess, p.stream, rtMeta{username: sess.username}); !ok {
		sess.sendError(env.Cid, rtapi.Error_RUNTIME_EXCEPTION, "Error tracking party creation")
		return
	}
	self := leader.userPresence()
	sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Party{Party: &rtapi.Party{
		PartyId: p.idStr, Open: in.Open, Hidden: in.Hidden, MaxSize: in.MaxSize, Self: self, Leader: self,
		Label: in.Label, Presences: []*rtapi.UserPresence{self}}}})
}

func (s *Server) rtPartyJoin(sess *rtSession, env *rtapi.Envelope) {
	uuid, node, ok := s.rtPartyID(sess, env.Cid, env.GetPartyJoin().PartyId)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	fail := func(err error) { sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Error joining party: "+err.Error()) }
	p, err := s.rtPartyLocked(uuid, node)
	if err != nil {
		fail(err)
		return
	}
	if p.stopped {
		fail(errPartyClosed)
		return
	}
	if p.size() >= p.maxSize {
		fail(errPartyFull)
		return
	}
	me := &rtPartyMember{sessionID: sess.id, userID: sess.userID, username: sess.username}
	if p.open {
		if err := p.join([]*rtPartyMember{me}); err != nil {
			fail(err)
			return
		}
		s.rtMatchmakerRemovePartyAllLocked(p.idStr)
		if ok, _ := s.rtTrackLocked(sess, p.stream, rtMeta{username: sess.username}); !ok {
			sess.sendError(env.Cid, rtapi.Error_RUNTIME_EXCEPTION, "Error tracking party join")
			return
		}
		sess.send(&rtapi.Envelope{Cid: env.Cid})
		return
	}
	if len(p.requests) >= p.maxSize {
		fail(errPartyRequestsFull)
		return
	}
	for _, r := range p.requests {
		if r.userID == sess.userID {
			fail(errPartyRequestDuplicate)
			return
		}
	}
	// The server means to refuse a request from a member here, but looks
	// members up by user id in a map keyed by session id, so it never
	// does; nor does nakamatest.
	p.requests = append(p.requests, me)
	if p.leader != nil {
		s.rtSendToSessionIDsLocked([]string{p.leader.sessionID}, &rtapi.Envelope{Message: &rtapi.Envelope_PartyJoinRequest{
			PartyJoinRequest: &rtapi.PartyJoinRequest{PartyId: p.idStr, Presences: []*rtapi.UserPresence{me.userPresence()}}}})
	}
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

func (s *Server) rtPartyLeave(sess *rtSession, env *rtapi.Envelope) {
	uuid, node, ok := s.rtPartyID(sess, env.Cid, env.GetPartyLeave().PartyId)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	s.rtUntrackLocked(sess, rtStream{mode: streamModeParty, subject: uuid, subcontext: systemUserID, label: node}, runtime.PresenceReasonLeave)
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

// rtPartyLeaderOpLocked finds a party and checks that the session leads
// it. It answers the error itself, with the operation's prefix, and
// returns nil on failure.
func (s *Server) rtPartyLeaderOpLocked(sess *rtSession, cid, uuid, node, prefix string) *rtParty {
	p, err := s.rtPartyLocked(uuid, node)
	if err == nil && p.stopped {
		err = errPartyClosed
	}
	if err == nil && !p.isLeader(sess.id) {
		err = errPartyNotLeader
	}
	if err != nil {
		sess.sendError(cid, rtapi.Error_BAD_INPUT, prefix+err.Error())
		return nil
	}
	return p
}

// rtPartyLeaderDo runs op, under the lock, on the party partyID names,
// once rtPartyLeaderOpLocked has found it and checked that the session
// leads it. A malformed id or a failed check is answered here.
func (s *Server) rtPartyLeaderDo(sess *rtSession, cid, partyID, prefix string, op func(p *rtParty)) {
	uuid, node, ok := s.rtPartyID(sess, cid, partyID)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	if p := s.rtPartyLeaderOpLocked(sess, cid, uuid, node, prefix); p != nil {
		op(p)
	}
}

func (s *Server) rtPartyPromote(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyPromote()
	if !validPartyPresence(in.Presence) {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, msgInvalidPartyPresence)
		return
	}
	const prefix = "Error promoting new party leader: "
	s.rtPartyLeaderDo(sess, env.Cid, in.PartyId, prefix, func(p *rtParty) {
		i := slices.IndexFunc(p.members, func(m *rtPartyMember) bool { return m.is(in.Presence) })
		if i < 0 {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+errPartyNotMember.Error())
			return
		}
		p.leader = p.members[i]
		s.rtSendToStreamLocked(p.stream, &rtapi.Envelope{Message: &rtapi.Envelope_PartyLeader{PartyLeader: &rtapi.PartyLeader{
			PartyId: p.idStr, Presence: p.leader.userPresence()}}})
		sess.send(&rtapi.Envelope{Cid: env.Cid})
	})
}

func (s *Server) rtPartyAccept(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyAccept()
	if !validPartyPresence(in.Presence) {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, msgInvalidPartyPresence)
		return
	}
	const prefix = "Error accepting party join request: "
	s.rtPartyLeaderDo(sess, env.Cid, in.PartyId, prefix, func(p *rtParty) {
		fail := func(err error) { sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+err.Error()) }
		if p.size() >= p.maxSize {
			fail(errPartyFull)
			return
		}
		i := slices.IndexFunc(p.requests, func(m *rtPartyMember) bool { return m.is(in.Presence) })
		if i < 0 {
			fail(errPartyNotRequest)
			return
		}
		r := p.requests[i]
		p.reserved[r.sessionID] = true
		p.requests = slices.Delete(p.requests, i, i+1)
		joiner := s.realtime.sessions[r.sessionID]
		if joiner == nil {
			delete(p.reserved, r.sessionID)
			fail(errPartyAcceptRequest)
			return
		}
		if ok, _ := s.rtTrackLocked(joiner, p.stream, rtMeta{username: joiner.username}); !ok {
			delete(p.reserved, r.sessionID)
			fail(errPartyAcceptRequest)
			return
		}
		if err := p.join([]*rtPartyMember{r}); err != nil {
			fail(err)
			return
		}
		s.rtMatchmakerRemovePartyAllLocked(p.idStr)
		sess.send(&rtapi.Envelope{Cid: env.Cid})
	})
}

func (s *Server) rtPartyRemove(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyRemove()
	if !validPartyPresence(in.Presence) {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, msgInvalidPartyPresence)
		return
	}
	const prefix = "Error removing party member or join request: "
	s.rtPartyLeaderDo(sess, env.Cid, in.PartyId, prefix, func(p *rtParty) {
		if p.leader.is(in.Presence) {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+errPartyRemoveSelf.Error())
			return
		}
		i := slices.IndexFunc(p.members, func(m *rtPartyMember) bool { return m.is(in.Presence) })
		if i < 0 {
			// Not a member: maybe a request to decline, which goes quietly.
			j := slices.IndexFunc(p.requests, func(m *rtPartyMember) bool { return m.is(in.Presence) })
			if j < 0 {
				sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+errPartyNotMember.Error())
				return
			}
			p.requests = slices.Delete(p.requests, j, j+1)
			sess.send(&rtapi.Envelope{Cid: env.Cid})
			return
		}
		m := p.members[i]
		s.rtMatchmakerRemovePartyAllLocked(p.idStr)
		p.members = slices.Delete(p.members, i, i+1)
		if kicked := s.realtime.sessions[m.sessionID]; kicked != nil {
			s.rtUntrackLocked(kicked, p.stream, runtime.PresenceReasonLeave)
		}
		s.rtSendToSessionIDsLocked([]string{m.sessionID}, &rtapi.Envelope{Message: &rtapi.Envelope_PartyClose{
			PartyClose: &rtapi.PartyClose{PartyId: p.idStr}}})
		sess.send(&rtapi.Envelope{Cid: env.Cid})
	})
}

func (s *Server) rtPartyClose(sess *rtSession, env *rtapi.Envelope) {
	s.rtPartyLeaderDo(sess, env.Cid, env.GetPartyClose().PartyId, "Error closing party: ", func(p *rtParty) {
		p.stopped = true
		s.rtSendToStreamLocked(p.stream, &rtapi.Envelope{Message: &rtapi.Envelope_PartyClose{PartyClose: &rtapi.PartyClose{PartyId: p.idStr}}})
		s.rtStopPartyLocked(p)
		sess.send(&rtapi.Envelope{Cid: env.Cid})
	})
}

// rtStopPartyLocked ends a party: it leaves the listing, its presences go
// without events, and its tickets leave the matchmaker.
func (s *Server) rtStopPartyLocked(p *rtParty) {
	p.stopped = true
	delete(s.realtime.parties, p.id)
	s.removePartyLocked(p.idStr)
	s.rtUntrackStreamLocked(p.stream)
	s.rtMatchmakerRemovePartyAllLocked(p.idStr)
}

func (s *Server) rtPartyJoinRequestList(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyJoinRequestList()
	s.rtPartyLeaderDo(sess, env.Cid, in.PartyId, "Error listing party join requests: ", func(p *rtParty) {
		list := make([]*rtapi.UserPresence, len(p.requests))
		for i, r := range p.requests {
			list[i] = r.userPresence()
		}
		sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_PartyJoinRequest{PartyJoinRequest: &rtapi.PartyJoinRequest{
			PartyId: in.PartyId, Presences: list}}})
	})
}

func (s *Server) rtPartyMatchmakerAdd(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyMatchmakerAdd()
	mult, msg := checkMatchmakerCounts(in.MinCount, in.MaxCount, in.CountMultiple)
	if msg != "" {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, msg)
		return
	}
	query := cmp.Or(in.Query, "*")
	const prefix = "Error adding party to matchmaker: "
	s.rtPartyLeaderDo(sess, env.Cid, in.PartyId, prefix, func(p *rtParty) {
		presences := make([]MatchPresence, len(p.members))
		var others []string
		for i, m := range p.members {
			presences[i] = MatchPresence{UserID: m.userID, SessionID: m.sessionID, Username: m.username, Node: matchNode}
			if m.sessionID != p.leader.sessionID {
				others = append(others, m.sessionID)
			}
		}
		ticket, err := s.rtMatchmakerAddLocked(presences, "", p.idStr, query, int(in.MinCount), int(in.MaxCount), mult,
			in.StringProperties, in.NumericProperties)
		if err != nil {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+err.Error())
			return
		}
		t := &rtapi.PartyMatchmakerTicket{PartyId: in.PartyId, Ticket: ticket}
		sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_PartyMatchmakerTicket{PartyMatchmakerTicket: t}})
		s.rtSendToSessionIDsLocked(others, &rtapi.Envelope{Message: &rtapi.Envelope_PartyMatchmakerTicket{PartyMatchmakerTicket: t}})
	})
}

func (s *Server) rtPartyMatchmakerRemove(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyMatchmakerRemove()
	if in.Ticket == "" {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid matchmaker ticket")
		return
	}
	// The server reports this operation's failures as "closing" ones.
	const prefix = "Error closing party: "
	s.rtPartyLeaderDo(sess, env.Cid, in.PartyId, prefix, func(p *rtParty) {
		t := s.realtime.mm.tickets[in.Ticket]
		if t == nil || t.sessionID != "" || t.partyID != p.idStr {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+errMatchmakerTicketNotFound.Error())
			return
		}
		s.rtRemoveTicketLocked(t)
		sess.send(&rtapi.Envelope{Cid: env.Cid})
	})
}

func (s *Server) rtPartyDataSend(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyDataSend()
	uuid, node, ok := s.rtPartyID(sess, env.Cid, in.PartyId)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	fail := func(err error) {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Error sending party data: "+err.Error())
	}
	p, err := s.rtPartyLocked(uuid, node)
	if err == nil && p.stopped {
		err = errPartyClosed
	}
	if err != nil {
		fail(err)
		return
	}
	sender := p.member(sess.id)
	if sender == nil {
		fail(errPartyNotMember)
		return
	}
	var to []string
	for _, m := range p.members {
		if m.sessionID != sess.id {
			to = append(to, m.sessionID)
		}
	}
	s.rtSendToSessionIDsLocked(to, &rtapi.Envelope{Message: &rtapi.Envelope_PartyData{PartyData: &rtapi.PartyData{
		PartyId: p.idStr, Presence: sender.userPresence(), OpCode: in.OpCode, Data: in.Data}}})
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

func (s *Server) rtPartyUpdate(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetPartyUpdate()
	uuid, node, ok := s.rtPartyID(sess, env.Cid, in.PartyId)
	if !ok {
		return
	}
	const prefix = "Error updating party: "
	if !(in.Label == "" || in.Label == "{}") && in.Hidden {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+errPartyHiddenWithLabel.Error())
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	p := s.rtPartyLeaderOpLocked(sess, env.Cid, uuid, node, prefix)
	if p == nil {
		return
	}
	if err := checkPartyLabel(in.Label); err != nil {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, prefix+err.Error())
		return
	}
	_ = s.putPartyLocked(p.idStr, in.Open, in.Hidden, p.maxSize, in.Label, p.created)
	p.open = in.Open
	// Every member hears of the change, in a message clients built for the
	// socket's documented events may not expect.
	s.rtSendToStreamLocked(p.stream, &rtapi.Envelope{Message: &rtapi.Envelope_PartyUpdate{PartyUpdate: &rtapi.PartyUpdate{
		PartyId: p.idStr, Open: in.Open, Hidden: in.Hidden, Label: in.Label}}})
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

// rtPartyJoinedLocked is the party's side of a presence join: the member
// list takes the joiners, and each joiner gets the party's state.
func (s *Server) rtPartyJoinedLocked(p *rtParty, joins []*rtPresence) {
	if p.stopped {
		return
	}
	ms := make([]*rtPartyMember, len(joins))
	for i, j := range joins {
		ms[i] = &rtPartyMember{sessionID: j.sess.id, userID: j.sess.userID, username: j.meta.username}
	}
	if p.leader == nil {
		p.leader = ms[0]
	}
	if err := p.join(ms); err != nil {
		s.log.Warn("nakamatest: party join", "party", p.idStr, "error", err)
		return
	}
	members := make([]*rtapi.UserPresence, len(p.members))
	for i, m := range p.members {
		members[i] = m.userPresence()
	}
	for _, m := range ms {
		s.rtSendToSessionIDsLocked([]string{m.sessionID}, &rtapi.Envelope{Message: &rtapi.Envelope_Party{Party: &rtapi.Party{
			PartyId: p.idStr, Open: p.open, MaxSize: int32(p.maxSize), Self: m.userPresence(),
			Leader: p.leader.userPresence(), Presences: members}}})
	}
}

// rtPartyLeftLocked is the party's side of a presence leave: the members
// go, a departed leader is replaced by the oldest member, and a party
// with no one left ends.
func (s *Server) rtPartyLeftLocked(p *rtParty, leaves []*rtPresence) {
	if p.stopped {
		return
	}
	var gone []string
	for _, l := range leaves {
		delete(p.reserved, l.sess.id)
		if i := slices.IndexFunc(p.members, func(m *rtPartyMember) bool { return m.sessionID == l.sess.id }); i >= 0 {
			p.members = slices.Delete(p.members, i, i+1)
			gone = append(gone, l.sess.id)
		}
	}
	if len(gone) == 0 {
		return
	}
	if p.leader != nil && slices.Contains(gone, p.leader.sessionID) {
		p.leader = nil
		if len(p.members) == 0 {
			s.rtStopPartyLocked(p)
			return
		}
		p.leader = p.members[0]
		s.rtSendToStreamLocked(p.stream, &rtapi.Envelope{Message: &rtapi.Envelope_PartyLeader{PartyLeader: &rtapi.PartyLeader{
			PartyId: p.idStr, Presence: p.leader.userPresence()}}})
	}
	s.rtMatchmakerRemovePartyAllLocked(p.idStr)
}
