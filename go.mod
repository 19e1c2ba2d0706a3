module github.com/gonakama/nakama

go 1.26.8

require (
	github.com/coder/websocket v1.8.15
	github.com/heroiclabs/nakama-common v1.47.0
	go.uber.org/goleak v1.3.0
	google.golang.org/protobuf v1.36.11
)
