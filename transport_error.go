package nakama

// transportError is a failure to exchange with the server: no answer, or an
// answer cut off. It is transient (Temporary) by nature; SafeToRetry says
// whether the request surely never left (the connection was never made).
type transportError struct {
	err  error
	safe bool
}

func (e *transportError) Error() string     { return e.err.Error() }
func (e *transportError) Unwrap() error     { return e.err }
func (e *transportError) SafeToRetry() bool { return e.safe }
func (e *transportError) Temporary() bool   { return true }
