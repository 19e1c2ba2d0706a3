package nakamagrpc

import "github.com/gonakama/nakama"

// ClientOptions configures NewClient: the client's own settings (retries,
// session refresh, logging; the REST field is ignored) and the adapter's.
type ClientOptions struct {
	nakama.ClientOptions
	// GRPC configures the adapter NewClient makes.
	GRPC Options
}

// Client is a nakama.DefaultClient over gRPC, with the Close its connection
// needs. Like DefaultClient it is safe for concurrent use.
type Client struct {
	*nakama.DefaultClient
	adapter *Adapter
}

// NewClient returns a client that speaks gRPC to the server at addr
// (DefaultAddr when empty; AddrForURL derives it from a REST URL) with
// serverKey (nakama.DefaultServerKey when empty) and DefaultClient's usual
// defaults: retries per nakama.DefaultRetry and automatic session refresh.
// opts may be nil. Close the client when done.
func NewClient(addr, serverKey string, opts *ClientOptions) (*Client, error) {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	a, err := NewAdapter(addr, serverKey, &o.GRPC)
	if err != nil {
		return nil, err
	}
	return &Client{DefaultClient: nakama.NewClientWithAdapter(a, &o.ClientOptions), adapter: a}, nil
}

// GRPC returns the client's adapter.
func (c *Client) GRPC() *Adapter { return c.adapter }

// Close closes the client's connection (see Adapter.Close).
func (c *Client) Close() error { return c.adapter.Close() }
