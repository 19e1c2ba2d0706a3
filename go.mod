module github.com/gonakama/nakama

go 1.26.8

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/heroiclabs/nakama-common v1.47.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
