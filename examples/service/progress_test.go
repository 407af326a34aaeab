package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

func TestProgressCountsTheWrite(t *testing.T) {
	var out testutil.SyncBuffer
	p := newProgress(&out, 2, 300)
	p.start()
	ctx := context.Background()
	for id := range 2 {
		metrics.Emit(ctx, p, shardyfusion.BatchWritten{DBID: id, BatchSize: 100})
		metrics.Emit(ctx, p, shardyfusion.BatchWritten{DBID: id, BatchSize: 50})
		metrics.Emit(ctx, p, shardyfusion.ShardWriteCompleted{DBID: id, Rows: 150})
	}
	metrics.Emit(ctx, p, shardyfusion.ReaderGet{}) // not the write's: ignored
	p.stop()
	s := out.String()
	if !strings.HasSuffix(s, "\rwriting the first snapshot: 2/2 shards, 300/300 rows written (100%)\n") {
		t.Fatalf("progress output %q", s)
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&testutil.SyncBuffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !isTerminal(tty) {
			t.Error("/dev/tty is not a terminal")
		}
	}
}
