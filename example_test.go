//go:build !js

// Not under js/wasm: these tests send REST through net/http to servers in the test process, which the browser's fetch adapter cannot reach.

package nakama_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
)

// Examples run against nakamatest, the in-memory server; point NewClient at
// a real server's address the same way.
func Example() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	client, err := nakama.NewClient(srv.URL(), "defaultkey", nil)
	if err != nil {
		log.Fatal(err)
	}
	session, err := client.AuthenticateDevice(ctx, "example-device-0001", &nakama.AuthenticateOptions{Username: "ada"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", session.Created(), "username:", session.Username())

	err = client.UpdateAccount(ctx, session, &nakama.UpdateAccountOptions{DisplayName: nakama.Ptr("Ada L.")})
	if err != nil {
		log.Fatal(err)
	}
	account, err := client.GetAccount(ctx, session)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("display name:", account.GetUser().GetDisplayName())
	// Output:
	// created: true username: ada
	// display name: Ada L.
}

// Errors the server reports compare with errors.Is against the sentinel of
// their code, and errors.As gives the code, message and HTTP status.
func ExampleError() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client, _ := nakama.NewClient(srv.URL(), "defaultkey", nil)
	_, err = client.AuthenticateCustom(context.Background(), "no-such-player", &nakama.AuthenticateOptions{NoCreate: true})
	fmt.Println(errors.Is(err, nakama.ErrNotFound))
	var se *nakama.Error
	if errors.As(err, &se) {
		fmt.Println(se.Code, se.HTTPStatus, se.Message)
	}
	// Output:
	// true
	// NotFound 404 User account not found.
}

// A session's tokens can be stored and restored; OnSessionRefresh reports
// each refresh so the stored tokens stay current.
func ExampleRestoreSession() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	var stored [2]string
	client, _ := nakama.NewClient(srv.URL(), "defaultkey", &nakama.ClientOptions{
		OnSessionRefresh: func(s *nakama.Session) { stored = [2]string{s.Token(), s.RefreshToken()} },
	})
	session, err := client.AuthenticateDevice(ctx, "example-device-0002", &nakama.AuthenticateOptions{Username: "grace"})
	if err != nil {
		log.Fatal(err)
	}
	stored = [2]string{session.Token(), session.RefreshToken()}

	// Later, perhaps in another process:
	restored, err := nakama.RestoreSession(stored[0], stored[1])
	if err != nil {
		log.Fatal(err)
	}
	account, err := client.GetAccount(ctx, restored)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(account.GetUser().GetUsername(), restored.UserID() == session.UserID())
	// Output:
	// grace true
}
