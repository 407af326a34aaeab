package main

import (
	"os"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
)

func TestZZHoldCluster(t *testing.T) {
	nodes := chserver.StartCluster(t, "fleet", 2)
	_ = os.WriteFile("/tmp/cluster.urls", []byte(nodes[0].URL+" "+nodes[1].URL+"\n"), 0o644)
	for i := 0; i < 600; i++ {
		if _, err := os.Stat("/tmp/cluster.stop"); err == nil {
			return
		}
		time.Sleep(time.Second)
	}
}
