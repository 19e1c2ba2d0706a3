package nakamatest

// registerAreas registers every API area's handlers. An area lives in its
// own file (friends.go, groups.go, ...) and opens with a registerXxx method
// that calls handle once per operation it serves; adding an area is adding
// its line here. Operations no area registers answer Unimplemented.
//
// A register method may also hook into the server:
//   - s.st.userDeleted = append(s.st.userDeleted, fn) to drop what a deleted
//     user owned (fn runs with s.mu held);
//   - s.handlePath(path, h) for a route outside the operation table, such as
//     the realtime socket at /ws;
//   - s.onClose = append(s.onClose, fn) and s.onDropConnections =
//     append(...) to close what the area owns (hijacked sockets, timers)
//     when the server closes or CloseClientConnections is called.
//
// Area state goes in a field of the area's own type, added to Server in the
// block marked for it in server.go, and is guarded by s.mu like the rest.
// Handlers take s.mu with "s.mu.Lock(); defer s.mu.Unlock()", so that a
// panicking handler (answered with 500) cannot leave it locked.
func (s *Server) registerAreas() {
	s.registerAuthenticate()
	s.registerSession()
	s.registerLink()
	s.registerAccount()
	s.registerUsers()
	s.registerRPC()
	s.registerStorage()
	s.registerNotifications()
	s.registerChannels()
	s.registerMatches()
	s.registerParties()
	s.registerEvents()
	s.registerPurchases()
	s.registerFriends()
	s.registerGroups()
	s.registerLeaderboards()
	s.registerTournaments()
	s.registerRealtime()
}
