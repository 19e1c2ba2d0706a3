//go:build !linux || 386 || s390x

package wsclient

import "net"

// rawReads is false: raw reads are for Linux (rawread_linux.go), and Dial
// leaves the http.Client's transport as it is.
const rawReads = false

// fastConn returns c.
func fastConn(c net.Conn) net.Conn { return c }
