//go:build !js

package nakama

import "github.com/coder/websocket"

func sockDialOptions(o *WebSocketAdapterOptions) *websocket.DialOptions {
	return &websocket.DialOptions{HTTPClient: o.HTTPClient, HTTPHeader: o.HTTPHeader}
}
