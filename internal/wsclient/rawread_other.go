//go:build !linux

package wsclient

import "net"

// fastConn returns c: raw reads are for Linux only (rawread_linux.go).
func fastConn(c net.Conn) net.Conn { return c }
