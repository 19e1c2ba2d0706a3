package nakama

import "github.com/coder/websocket"

// dialOptions: a browser takes no HTTP client or headers.
func sockDialOptions(*WebSocketAdapterOptions) *websocket.DialOptions { return nil }
