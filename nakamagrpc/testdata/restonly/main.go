// Command restonly is a program that uses only the REST client, for the
// test that checks it does not link grpc.
package main

import (
	"context"
	"fmt"

	"github.com/gonakama/nakama"
)

func main() {
	c, err := nakama.NewClient("", "", nil)
	if err != nil {
		panic(err)
	}
	s, err := c.AuthenticateDevice(context.Background(), "device-id-0001", nil)
	fmt.Println(s, err)
}
