package main

import (
	"net"
	"testing"
)

// TestServeWarnsWhenOtherMachinesCanReachIt: serve warns on stderr when it
// listens on any address but a loopback one (the test listens nowhere:
// servers here stay on 127.0.0.1).
func TestServeWarnsWhenOtherMachinesCanReachIt(t *testing.T) {
	for ip, warns := range map[string]bool{"127.0.0.1": false, "::1": false, "127.0.0.2": false, "0.0.0.0": true, "::": true, "192.168.1.10": true} {
		if got := reachableFromOthers(&net.TCPAddr{IP: net.ParseIP(ip), Port: 8420}); got != warns {
			t.Errorf("%s: reachable from others %v, want %v", ip, got, warns)
		}
	}
}
