package testutil

import "net"

// FreeAddr returns a 127.0.0.1 address with a port no one listens on now,
// for a server a test starts.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
