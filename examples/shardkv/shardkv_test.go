package shardkv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// dataset is one write's rows, kept to check the reads against.
type dataset struct {
	keys [][]byte
	vals map[string][]byte
}

// makeData returns n rows whose values depend on gen, so two generations of
// the same keys differ. Some values are empty.
func makeData(n, gen int) dataset {
	d := dataset{vals: make(map[string][]byte, n)}
	for i := range n {
		k := []byte(fmt.Sprintf("user:%07d", i))
		v := []byte(strings.Repeat(fmt.Sprintf("g%d-v%d;", gen, i), i%4))
		d.keys = append(d.keys, k)
		d.vals[string(k)] = v
	}
	return d
}

// rows yields the dataset's rows through one reused buffer pair, as a
// streaming source would.
func (d dataset) rows() iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		var kb, vb []byte
		for _, k := range d.keys {
			kb = append(kb[:0], k...)
			vb = append(vb[:0], d.vals[string(k)]...)
			if !yield(kb, vb) {
				return
			}
		}
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fastRetry keeps retry waits short in tests.
var fastRetry = RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

func checkAll(t *testing.T, r *Reader, d dataset) {
	t.Helper()
	ctx := context.Background()
	for _, k := range d.keys {
		v, ok, err := r.Get(ctx, k)
		if err != nil || !ok {
			t.Fatalf("Get(%s) = found %v, err %v", k, ok, err)
		}
		if !bytes.Equal(v, d.vals[string(k)]) {
			t.Fatalf("Get(%s) = %q, want %q", k, v, d.vals[string(k)])
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d := makeData(20000, 1)
	rec := metrics.NewRecorder()
	res, err := Write(ctx, dir, d.rows(), WriteOptions{NumShards: 5, BatchSize: 300, Collector: rec, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Rows != 20000 || res.Manifest.NumShards != 5 {
		t.Fatalf("manifest: rows %d, shards %d", res.Manifest.Rows, res.Manifest.NumShards)
	}
	for _, s := range res.Manifest.Shards {
		if s.Rows == 0 {
			t.Errorf("shard %d is empty: the hash spreads badly", s.DBID)
		}
	}
	r, err := Open(ctx, dir, ReadOptions{Collector: rec, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkAll(t, r, d)
	for _, k := range []string{"", "user:", "user:9999999", "zzz"} {
		if v, ok, err := r.Get(ctx, []byte(k)); ok || err != nil || v != nil {
			t.Errorf("Get(%q) = %q, %v, %v; want a miss", k, v, ok, err)
		}
	}
	// MultiGet of every key plus a missing one, in one call.
	keys := append(slices.Clone(d.keys), []byte("missing"))
	vals, err := r.MultiGet(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range d.keys {
		if vals[i] == nil || !bytes.Equal(vals[i], d.vals[string(k)]) {
			t.Fatalf("MultiGet[%d] (%s) = %q, want %q", i, k, vals[i], d.vals[string(k)])
		}
	}
	if vals[len(vals)-1] != nil {
		t.Errorf("MultiGet of a missing key = %q, want nil", vals[len(vals)-1])
	}

	// Counts the write implies: one shard event per shard, rows add up.
	if got := rec.Count(metrics.EventOf[shardyfusion.ShardWriteCompleted]()); got != 5 {
		t.Errorf("write.shard.completed × %d, want 5", got)
	}
	var rows, batchRows int64
	for _, p := range metrics.Recorded[shardyfusion.ShardWriteCompleted](rec) {
		rows += p.Rows
		if p.Duration <= 0 {
			t.Errorf("shard %d completed with duration %v", p.DBID, p.Duration)
		}
	}
	for _, p := range metrics.Recorded[shardyfusion.BatchWritten](rec) {
		batchRows += int64(p.BatchSize)
		if p.BatchSize < 1 || p.BatchSize > 300 {
			t.Errorf("batch of %d rows, batch size 300", p.BatchSize)
		}
	}
	if rows != 20000 || batchRows != 20000 {
		t.Errorf("shard rows %d, batch rows %d, want 20000", rows, batchRows)
	}
	wc := metrics.Recorded[shardyfusion.WriteCompleted](rec)
	if len(wc) != 1 || wc[0].Rows != 20000 || wc[0].Elapsed <= 0 {
		t.Errorf("write.completed = %+v", wc)
	}
	gets := metrics.Recorded[shardyfusion.ReaderGet](rec)
	if len(gets) != 20004 {
		t.Fatalf("reader.get × %d, want 20004", len(gets))
	}
	misses := 0
	for _, p := range gets {
		if !p.Found {
			misses++
		}
	}
	if misses != 4 {
		t.Errorf("reader.get misses = %d, want 4", misses)
	}
	if mg := metrics.Recorded[shardyfusion.ReaderMultiGet](rec); len(mg) != 1 || mg[0].Keys != 20001 {
		t.Errorf("reader.multi_get = %+v", mg)
	}
}

func TestDuplicateKeysLastWins(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rows := func(yield func([]byte, []byte) bool) {
		for i := range 3 {
			for _, k := range []string{"a", "b", "c"} {
				if !yield([]byte(k), []byte(fmt.Sprintf("%s%d", k, i))) {
					return
				}
			}
		}
	}
	res, err := Write(ctx, dir, rows, WriteOptions{NumShards: 2, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Rows != 3 {
		t.Errorf("rows = %d, want 3 distinct keys", res.Manifest.Rows)
	}
	r, err := Open(ctx, dir, ReadOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, k := range []string{"a", "b", "c"} {
		v, _, _ := r.Get(ctx, []byte(k))
		if string(v) != k+"2" {
			t.Errorf("Get(%s) = %q, want %q", k, v, k+"2")
		}
	}
}

func TestRefreshSeesSecondWrite(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first := makeData(3000, 1)
	if _, err := Write(ctx, dir, first.rows(), WriteOptions{NumShards: 3, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	rec := metrics.NewRecorder()
	r, err := Open(ctx, dir, ReadOptions{Collector: rec, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	firstRun := r.Snapshot().RunID
	checkAll(t, r, first)

	changed, err := r.Refresh(ctx)
	if err != nil || changed {
		t.Fatalf("Refresh with nothing new = %v, %v; want false", changed, err)
	}

	// The second write changes every value, drops the first 1000 keys and
	// adds 2000 new ones, with a different number of shards.
	second := makeData(5000, 2)
	second.keys = second.keys[1000:]
	for i := range 1000 {
		delete(second.vals, fmt.Sprintf("user:%07d", i))
	}
	res, err := Write(ctx, dir, second.rows(), WriteOptions{NumShards: 4, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	// Until Refresh, the reader still serves the first snapshot.
	checkAll(t, r, first)

	changed, err = r.Refresh(ctx)
	if err != nil || !changed {
		t.Fatalf("Refresh after a write = %v, %v; want true", changed, err)
	}
	if s := r.Snapshot(); s.RunID != res.Manifest.RunID || s.RunID == firstRun || s.Rows != 4000 || s.NumShards != 4 {
		t.Fatalf("snapshot after Refresh = %+v", s)
	}
	checkAll(t, r, second)
	for i := range 1000 {
		if _, ok, _ := r.Get(ctx, []byte(fmt.Sprintf("user:%07d", i))); ok {
			t.Fatalf("key %d of the first write only is still found", i)
		}
	}
	var got []bool
	for _, p := range metrics.Recorded[shardyfusion.ReaderRefreshed](rec) {
		got = append(got, p.Changed)
	}
	if !slices.Equal(got, []bool{false, true}) {
		t.Errorf("reader.refreshed changed = %v, want [false true]", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if cl := metrics.Recorded[shardyfusion.ReaderClosed](rec); len(cl) != 1 || cl[0].Handles != 4 {
		t.Errorf("reader.closed = %+v, want one with 4 handles", cl)
	}
	if _, _, err := r.Get(ctx, first.keys[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
}

func TestInjectedFaultsRetryCounts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d := makeData(2000, 1)
	rec := metrics.NewRecorder()
	// Shard 2's store fails 4 times in a row. With 3 storage attempts per
	// shard attempt: attempt 1 fails 3 times (2 s3.retry, 1
	// s3.retry_exhausted) and is retried; attempt 2 fails once more (1
	// s3.retry) and then succeeds.
	faults := NewFaults().Fail(OpPut, "shard-00002", 4)
	storage := RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Second}
	shard := RetryPolicy{MaxAttempts: 3, BaseDelay: 2 * time.Millisecond, MaxDelay: time.Second}
	_, err := Write(ctx, dir, d.rows(), WriteOptions{
		NumShards: 4, BatchSize: 250, Collector: rec, Logger: quietLogger(),
		Faults: faults, StorageRetry: storage, ShardRetry: shard,
	})
	if err != nil {
		t.Fatal(err)
	}
	if faults.Injected() != 4 {
		t.Fatalf("injected %d faults, want 4", faults.Injected())
	}
	want := map[string]int{
		"s3.retry": 3, "s3.retry_exhausted": 1,
		"write.shard.retried": 1, "write.shard.retry_exhausted": 0,
		"write.shard.started": 4, "write.shard.completed": 4, "write.completed": 1,
	}
	checkCounts(t, rec, want)
	var attempts []int
	var delays []time.Duration
	for _, p := range metrics.Recorded[shardyfusion.S3Retry](rec) {
		attempts = append(attempts, p.Attempt)
		delays = append(delays, p.Delay)
		if p.MaxRetries != 2 {
			t.Errorf("s3.retry max_retries = %d, want 2", p.MaxRetries)
		}
	}
	if !slices.Equal(attempts, []int{1, 2, 1}) || !slices.Equal(delays, []time.Duration{time.Millisecond, 2 * time.Millisecond, time.Millisecond}) {
		t.Errorf("s3.retry attempts %v delays %v, want [1 2 1] [1ms 2ms 1ms]", attempts, delays)
	}
	if p := metrics.Recorded[shardyfusion.S3RetryExhausted](rec); p[0].Attempts != 3 {
		t.Errorf("s3.retry_exhausted attempts = %d, want 3", p[0].Attempts)
	}
	if p := metrics.Recorded[shardyfusion.ShardWriteRetried](rec)[0]; p.DBID != 2 || p.Attempt != 1 || p.Backoff != 2*time.Millisecond || p.Elapsed <= 0 {
		t.Errorf("write.shard.retried = %+v, want db 2, attempt 1, backoff 2ms", p)
	}
	// Shard 2 encoded its batches twice; the other shards once.
	perShard := map[int]int{}
	for _, p := range metrics.Recorded[shardyfusion.BatchWritten](rec) {
		perShard[p.DBID] += p.BatchSize
	}
	r, err := Open(ctx, dir, ReadOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkAll(t, r, d)
	m, err := loadManifest(ctx, mustStorage(t, dir), r.Snapshot().ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	if len(perShard) != 4 {
		t.Errorf("batches of %d shards, want 4", len(perShard))
	}
	for id, rows := range perShard {
		mult := 1
		if id == 2 {
			mult = 2
		}
		if int64(rows) != int64(mult)*m.Shards[id].Rows {
			t.Errorf("shard %d: %d batch rows for %d rows", id, rows, m.Shards[id].Rows)
		}
	}
}

func mustStorage(t *testing.T, dir string) Storage {
	t.Helper()
	s, err := NewDirStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestShardRetryExhaustedKeepsPreviousSnapshot(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first := makeData(1000, 1)
	if _, err := Write(ctx, dir, first.rows(), WriteOptions{NumShards: 3, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	rec := metrics.NewRecorder()
	// Shard 1 never stores: 2 shard attempts × 2 storage attempts.
	faults := NewFaults().Fail(OpPut, "shard-00001", 1000)
	_, err := Write(ctx, dir, makeData(1000, 2).rows(), WriteOptions{
		NumShards: 3, Collector: rec, Logger: quietLogger(), Faults: faults, Concurrency: 1,
		StorageRetry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
		ShardRetry:   RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
	})
	if !errors.Is(err, ErrInjected) {
		t.Fatalf("Write = %v, want the injected fault", err)
	}
	want := map[string]int{
		"s3.retry": 2, "s3.retry_exhausted": 2,
		"write.shard.retried": 1, "write.shard.retry_exhausted": 1,
		"write.manifest_published": 0, "write.current_published": 0, "write.completed": 0,
		"write.failed": 1,
	}
	checkCounts(t, rec, want)
	if f := metrics.Recorded[shardyfusion.WriteFailed](rec); len(f) != 1 || f[0].ErrorType != "injected_fault" || f[0].Elapsed <= 0 {
		t.Errorf("write.failed = %+v, want one injected_fault with its elapsed time", f)
	}
	if p := metrics.Recorded[shardyfusion.ShardWriteRetryExhausted](rec); len(p) == 1 && (p[0].DBID != 1 || p[0].Attempts != 2) {
		t.Errorf("write.shard.retry_exhausted = %+v, want db 1 after 2 attempts", p[0])
	}
	if faults.Injected() != 4 {
		t.Errorf("injected %d faults, want 4", faults.Injected())
	}
	r, err := Open(ctx, dir, ReadOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkAll(t, r, first)
}

func TestReaderStorageRetry(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d := makeData(500, 1)
	if _, err := Write(ctx, dir, d.rows(), WriteOptions{NumShards: 2, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	rec := metrics.NewRecorder()
	faults := NewFaults().Fail(OpGet, "manifest.json", 1).Fail(OpOpen, "shard-00001", 2)
	r, err := Open(ctx, dir, ReadOptions{Collector: rec, Logger: quietLogger(), Faults: faults, StorageRetry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := rec.Count(metrics.EventOf[shardyfusion.S3Retry]()); got != 3 {
		t.Errorf("s3.retry × %d, want 3", got)
	}
	checkAll(t, r, d)

	// A CURRENT that stays unreadable exhausts the retries; the reader
	// keeps its snapshot.
	faults.Fail(OpGet, CurrentName, 100)
	if _, err := r.Refresh(ctx); !errors.Is(err, ErrInjected) {
		t.Fatalf("Refresh = %v, want the injected fault", err)
	}
	if got := rec.Count(metrics.EventOf[shardyfusion.S3RetryExhausted]()); got != 1 {
		t.Errorf("s3.retry_exhausted × %d, want 1", got)
	}
	if p := metrics.Recorded[shardyfusion.S3RetryExhausted](rec); p[0].Attempts != 4 {
		t.Errorf("s3.retry_exhausted attempts = %d, want the default 4", p[0].Attempts)
	}
	checkAll(t, r, d)
}

func TestRateLimiterThrottles(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// 20,000 rows/s with a burst of one 500-row batch: the first batch goes
	// at once, each of the 7 others waits for 25 ms of tokens.
	lim, err := NewLimiter(20000, 500, 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := metrics.NewRecorder()
	start := time.Now()
	_, err = Write(ctx, dir, makeData(4000, 1).rows(), WriteOptions{
		NumShards: 1, BatchSize: 500, RateLimit: lim, Collector: rec, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	th := metrics.Recorded[shardyfusion.RateLimiterThrottled](rec)
	if len(th) != 7 {
		t.Fatalf("rate_limiter.throttled × %d, want 7", len(th))
	}
	var waited time.Duration
	for _, p := range th {
		if p.Wait <= 0 || p.Wait > 100*time.Millisecond {
			t.Errorf("throttled for %v, want about 25ms", p.Wait)
		}
		waited += p.Wait
	}
	if waited < 150*time.Millisecond || waited > took {
		t.Errorf("waited %v in all during a %v write, want about 175ms", waited, took)
	}
	if rec.Count(metrics.EventOf[shardyfusion.RateLimiterDenied]()) != 0 {
		t.Error("rate_limiter.denied on a write that fits the burst")
	}
}

func TestRateLimiterDenies(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d := makeData(2000, 1)
	// A batch larger than the burst can never be served: the write fails at
	// once, without a shard retry.
	small, _ := NewLimiter(1e6, 100, 0)
	rec := metrics.NewRecorder()
	_, err := Write(ctx, dir, d.rows(), WriteOptions{NumShards: 1, BatchSize: 500, RateLimit: small, Collector: rec, Logger: quietLogger()})
	if !errors.Is(err, ErrRateLimited) || !errors.Is(err, ErrExceedsBurst) {
		t.Fatalf("Write = %v, want ErrRateLimited and ErrExceedsBurst", err)
	}
	if p := metrics.Recorded[shardyfusion.RateLimiterDenied](rec); len(p) != 1 || p[0].Tokens != 500 {
		t.Errorf("rate_limiter.denied = %+v, want one for 500 tokens", p)
	}
	if rec.Count(metrics.EventOf[shardyfusion.ShardWriteRetried]()) != 0 {
		t.Error("a request larger than the burst was retried")
	}

	// A reader limited to 100 keys/s with a 20 ms wait at most: the second
	// 10-key lookup in a row needs a 100 ms wait and is refused, and so is a
	// lookup larger than the burst.
	if _, err := Write(ctx, dir, d.rows(), WriteOptions{NumShards: 2, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	lim, _ := NewLimiter(100, 10, 20*time.Millisecond)
	rec.Reset()
	r, err := Open(ctx, dir, ReadOptions{RateLimit: lim, Collector: rec, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.MultiGet(ctx, d.keys[:10]); err != nil {
		t.Fatal(err)
	}
	_, err = r.MultiGet(ctx, d.keys[:10])
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrExceedsBurst) {
		t.Fatalf("second MultiGet = %v, want ErrRateLimited for the wait", err)
	}
	if _, err := r.MultiGet(ctx, d.keys[:11]); !errors.Is(err, ErrExceedsBurst) {
		t.Fatalf("MultiGet of 11 keys = %v, want ErrExceedsBurst", err)
	}
	time.Sleep(110 * time.Millisecond) // refill the bucket
	if _, err := r.MultiGet(ctx, d.keys[:10]); err != nil {
		t.Fatal(err)
	}

	// Without a MaxWait, a wait past the context's deadline is refused.
	slow, _ := NewLimiter(10, 10, 0)
	r2, err := Open(ctx, dir, ReadOptions{RateLimit: slow, Collector: rec, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.MultiGet(ctx, d.keys[:10]); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := r2.MultiGet(dctx, d.keys[:5]); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("MultiGet needing a 500ms wait with a 100ms deadline = %v, want ErrRateLimited", err)
	}
	var tokens []int
	for _, p := range metrics.Recorded[shardyfusion.RateLimiterDenied](rec) {
		tokens = append(tokens, p.Tokens)
	}
	if !slices.Equal(tokens, []int{10, 11, 5}) {
		t.Errorf("rate_limiter.denied tokens = %v, want [10 11 5]", tokens)
	}
	if got := rec.Count(metrics.EventOf[shardyfusion.ReaderMultiGet]()); got != 3 {
		t.Errorf("reader.multi_get × %d, want 3 (refused lookups emit none)", got)
	}
}

func TestEveryEvent(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rec := metrics.NewRecorder()
	first := makeData(3000, 1)

	// Write 1: shard 0's store fails twice (s3.retry, s3.retry_exhausted,
	// write.shard.retried), and a rate limit throttles the batches.
	wlim, _ := NewLimiter(200000, 1000, 0)
	_, err := Write(ctx, dir, first.rows(), WriteOptions{
		NumShards: 3, BatchSize: 500, Collector: rec, Logger: quietLogger(), RateLimit: wlim,
		Faults:       NewFaults().Fail(OpPut, "shard-00000", 2),
		StorageRetry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
		ShardRetry:   fastRetry,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Write 2 fails: shard 1 never stores (write.shard.retry_exhausted).
	_, err = Write(ctx, dir, makeData(100, 9).rows(), WriteOptions{
		NumShards: 3, Collector: rec, Logger: quietLogger(),
		Faults:       NewFaults().Fail(OpPut, "shard-00001", 100),
		StorageRetry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
		ShardRetry:   RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
	})
	if err == nil {
		t.Fatal("write with a shard that never stores succeeded")
	}
	// Reads, with a limiter that refuses a lookup larger than its burst.
	rlim, _ := NewLimiter(1e6, 100, time.Second)
	r, err := Open(ctx, dir, ReadOptions{Collector: rec, Logger: quietLogger(), RateLimit: rlim})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, r, first)
	if _, ok, _ := r.Get(ctx, []byte("nope")); ok {
		t.Fatal("found a key never written")
	}
	if _, err := r.MultiGet(ctx, first.keys[:50]); err != nil {
		t.Fatal(err)
	}
	if _, err := r.MultiGet(ctx, first.keys[:101]); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("MultiGet over the burst = %v", err)
	}
	second := makeData(3500, 2)
	if _, err := Write(ctx, dir, second.rows(), WriteOptions{NumShards: 3, Collector: rec, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	if changed, err := r.Refresh(ctx); err != nil || !changed {
		t.Fatalf("Refresh = %v, %v", changed, err)
	}
	checkAll(t, r, second)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	for _, d := range shardyfusion.Catalog.Descriptors() {
		if d.Wire == "write.failed" { // this run's writes all succeed
			continue
		}
		if rec.Count(d.Event) == 0 {
			t.Errorf("%s was never emitted", d.Wire)
		}
		duration, _ := d.Field("duration_ms")
		elapsed, _ := d.Field("elapsed_ms")
		for _, p := range rec.Payloads(d.Event) {
			if duration != nil && p.Duration(duration) <= 0 {
				t.Errorf("%s with duration %v", d.Wire, p.Duration(duration))
			}
			if elapsed != nil && p.Duration(elapsed) <= 0 {
				t.Errorf("%s with elapsed %v", d.Wire, p.Duration(elapsed))
			}
		}
	}
	// Within one write, elapsed never goes back: among the phase events, and
	// among the events of each shard (shards run concurrently, so their
	// events interleave in any order).
	last := map[int]time.Duration{}
	for _, rc := range rec.Records() {
		d, _ := metrics.Describe(rc.Event)
		elapsedField, ok := d.Field("elapsed_ms")
		if d.Group != shardyfusion.GroupWrite || !ok {
			continue
		}
		if d.Wire == "write.started" {
			clear(last)
		}
		seq := -1
		if f, ok := d.Field("db_id"); ok {
			seq = int(rc.Payload.Int(f))
		}
		elapsed := rc.Payload.Duration(elapsedField)
		if elapsed < last[seq] {
			t.Errorf("%s (sequence %d): elapsed %v after %v", rc.Event, seq, elapsed, last[seq])
		}
		last[seq] = elapsed
	}
}

func TestPublishAbortedKeepsPreviousSnapshot(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first := makeData(2000, 1)
	if _, err := Write(ctx, dir, first.rows(), WriteOptions{NumShards: 4, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	abort := errors.New("crash before publish")
	var stored *Manifest
	rec := metrics.NewRecorder()
	_, err := Write(ctx, dir, makeData(2500, 2).rows(), WriteOptions{
		NumShards: 4, Logger: quietLogger(), Collector: rec,
		BeforePublish: func(_ context.Context, m *Manifest) error { stored = m; return abort },
	})
	if !errors.Is(err, abort) {
		t.Fatalf("Write = %v, want the abort", err)
	}
	if rec.Count(metrics.EventOf[shardyfusion.ManifestPublished]()) != 1 || rec.Count(metrics.EventOf[shardyfusion.CurrentPublished]()) != 0 || rec.Count(metrics.EventOf[shardyfusion.WriteCompleted]()) != 0 {
		t.Errorf("events of an aborted publish: %v", rec.Events())
	}
	checkPrevious(t, dir, first, stored.RunID)
}

// checkPrevious checks that dir still publishes the snapshot of first, whole,
// while the files of the unpublished run are all there.
func checkPrevious(t *testing.T, dir string, first dataset, orphan string) {
	t.Helper()
	r, err := Open(context.Background(), dir, ReadOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if s := r.Snapshot(); s.Rows != int64(len(first.keys)) || s.RunID == orphan {
		t.Fatalf("published snapshot %+v, want the first write's", s)
	}
	checkAll(t, r, first)
	if _, ok, _ := r.Get(context.Background(), []byte(fmt.Sprintf("user:%07d", 2400))); ok {
		t.Error("a key of the unpublished write is readable")
	}
	// The unpublished run's shards and manifest were stored before the crash.
	m, err := loadManifest(context.Background(), mustStorage(t, dir), manifestName(orphan))
	if err != nil {
		t.Fatalf("unpublished run's manifest: %v", err)
	}
	for _, s := range m.Shards {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.Object))); err != nil {
			t.Errorf("unpublished shard: %v", err)
		}
	}
	removed, err := Prune(context.Background(), dir, 0)
	if err != nil || !slices.Equal(removed, []string{orphan}) {
		t.Errorf("Prune = %v, %v; want the unpublished run removed", removed, err)
	}
	checkAll(t, r, first)
}

const crashEnv = "SHARDKV_CRASH_DIR"

// TestMain runs crashChild instead of the tests when the test binary is
// started as TestKilledBeforePublish's child.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
	}
	os.Exit(m.Run())
}

// crashChild is the child process of TestKilledBeforePublish: it writes a
// second snapshot and kills itself with SIGKILL after the shards and the
// manifest are stored, before CURRENT moves.
func crashChild(dir string) {
	_, err := Write(context.Background(), dir, makeData(2500, 2).rows(), WriteOptions{
		NumShards: 4, Logger: quietLogger(), RunID: "killed",
		BeforePublish: func(context.Context, *Manifest) error {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
			return nil
		},
	})
	fmt.Fprintf(os.Stderr, "the child survived: %v\n", err)
	os.Exit(3)
}

func TestKilledBeforePublish(t *testing.T) {
	dir := t.TempDir()
	first := makeData(2000, 1)
	if _, err := Write(context.Background(), dir, first.rows(), WriteOptions{NumShards: 4, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
	}
	checkPrevious(t, dir, first, "killed")
}

func TestCorruptShardIsRefused(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	res, err := Write(ctx, dir, makeData(500, 1).rows(), WriteOptions{NumShards: 2, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(res.Manifest.Shards[1].Object))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, ReadOptions{Logger: quietLogger()}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a flipped byte = %v, want ErrCorrupt", err)
	}
}

func TestOpenWithoutSnapshot(t *testing.T) {
	if _, err := Open(context.Background(), t.TempDir(), ReadOptions{Logger: quietLogger()}); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("Open of an empty dir = %v, want ErrNoSnapshot", err)
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "absent"), ReadOptions{}); err == nil {
		t.Fatal("Open of a missing dir succeeded")
	}
}

func TestInvalidOptions(t *testing.T) {
	rows := makeData(1, 1).rows()
	for name, o := range map[string]WriteOptions{
		"NumShards":    {NumShards: -1},
		"BatchSize":    {BatchSize: -5},
		"Concurrency":  {Concurrency: -1},
		"RunID":        {RunID: "../x"},
		"ShardRetry":   {ShardRetry: RetryPolicy{MaxAttempts: -1}},
		"StorageRetry": {StorageRetry: RetryPolicy{BaseDelay: -time.Second}},
	} {
		_, err := Write(context.Background(), t.TempDir(), rows, o)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Write = %v, want an error naming the option", name, err)
		}
	}
	for _, c := range []struct {
		rate  float64
		burst int
		wait  time.Duration
		name  string
	}{{0, 1, 0, "perSecond"}, {1, 0, 0, "burst"}, {1, 1, -1, "maxWait"}} {
		if _, err := NewLimiter(c.rate, c.burst, c.wait); err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("NewLimiter(%v, %d, %v) = %v, want an error naming %s", c.rate, c.burst, c.wait, err, c.name)
		}
	}
}

func TestEveryLogLineCarriesRunID(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// A field bound by the caller is kept next to the run id.
	ctx := logctx.With(context.Background(), "job", "nightly")
	res, err := Write(ctx, t.TempDir(), makeData(1000, 1).rows(), WriteOptions{
		NumShards: 2, Logger: logger, Faults: NewFaults().Fail(OpPut, "shard-00001", 1),
		StorageRetry: fastRetry,
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 7 {
		t.Fatalf("only %d log lines:\n%s", len(lines), buf.String())
	}
	events := map[string]bool{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		if m["run_id"] != res.Manifest.RunID || m["job"] != "nightly" {
			t.Errorf("line without the run id %s: %s", res.Manifest.RunID, l)
		}
		events[m["msg"].(string)] = true
	}
	for _, e := range []string{"write_started", "sharding_completed", "storage_retry", "shard_write_completed",
		"shard_writes_completed", "manifest_published", "current_published", "write_completed"} {
		if !events[e] {
			t.Errorf("no %s line", e)
		}
	}
}

func TestPruneKeepsNewestAndCurrent(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var ids []string
	for i := range 4 {
		id := fmt.Sprintf("run-%d", i)
		if _, err := Write(ctx, dir, makeData(50, i).rows(), WriteOptions{NumShards: 2, RunID: id, Logger: quietLogger()}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	removed, err := Prune(ctx, dir, 2)
	if err != nil || !slices.Equal(removed, ids[:2]) {
		t.Fatalf("Prune(2) = %v, %v; want %v", removed, err, ids[:2])
	}
	r, err := Open(ctx, dir, ReadOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkAll(t, r, makeData(50, 3))
	if _, err := Prune(ctx, dir, -1); err == nil || !strings.Contains(err.Error(), "keep") {
		t.Errorf("Prune(-1) = %v, want an error naming keep", err)
	}
}

// checkCounts checks how many times rec recorded each event, by wire name.
func checkCounts(t *testing.T, rec *metrics.Recorder, want map[string]int) {
	t.Helper()
	for wire, n := range want {
		d, ok := shardyfusion.Catalog.Lookup(wire)
		if !ok {
			t.Fatalf("no event %s", wire)
		}
		if got := rec.Count(d.Event); got != n {
			t.Errorf("%s × %d, want %d", wire, got, n)
		}
	}
}

// TestCancelledWriteEmitsWriteFailed: a write whose context is cancelled
// ends with write.failed{error_type="cancelled"}, so that it is not taken
// for a crash.
func TestCancelledWriteEmitsWriteFailed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rec := metrics.NewRecorder()
	rows := func(yield func([]byte, []byte) bool) {
		for i := range 10000 {
			if i == 5000 {
				cancel()
			}
			if !yield([]byte(fmt.Sprintf("k%05d", i)), []byte("v")) {
				return
			}
		}
	}
	_, err := Write(ctx, t.TempDir(), rows, WriteOptions{NumShards: 2, Collector: rec, Logger: quietLogger()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	failed := metrics.Recorded[shardyfusion.WriteFailed](rec)
	if len(failed) != 1 || failed[0].ErrorType != "cancelled" {
		t.Errorf("write.failed = %+v, want one with error_type cancelled", failed)
	}
	if rec.Count(metrics.EventOf[shardyfusion.WriteCompleted]()) != 0 {
		t.Error("a cancelled write completed")
	}
	for err, want := range map[error]string{
		context.DeadlineExceeded:                       "deadline_exceeded",
		fmt.Errorf("x: %w", ErrRateLimited):            "rate_limited",
		&fs.PathError{Op: "open", Err: fs.ErrNotExist}: "storage",
		errors.New("boom"):                             "other",
	} {
		if got := ErrorType(err); got != want {
			t.Errorf("ErrorType(%v) = %q, want %q", err, got, want)
		}
	}
}
