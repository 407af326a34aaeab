package runs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// script is a run as the test emits it; want holds the figures the test
// computes from the payloads themselves, independently of runs.
type script struct {
	events []struct {
		ev metrics.Event
		p  metrics.Payload
	}
	shardMS   []float64
	shards    map[int64]runs.Shard
	getMS     []float64
	misses    int
	multiMS   []float64
	multiKeys int64
	backoffMS float64
	delayMS   float64
	waitMS    float64
	batchRows int64
}

// add appends the event v to the script.
func add[T any](s *script, v T) {
	t := metrics.TypeOf[T]()
	s.events = append(s.events, struct {
		ev metrics.Event
		p  metrics.Payload
	}{t.Event(), t.Pack(v)})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// buildRun scripts a write of nShards shards with retries, throttling and
// storage retries, then a reader doing nGets lookups, with random durations.
func buildRun(seed uint64, nShards, nGets int) *script {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &script{shards: map[int64]runs.Shard{}}
	el := time.Duration(0)
	step := func() time.Duration {
		d := time.Duration(rng.Int64N(int64(50*time.Millisecond))) + time.Microsecond
		el += d
		return d
	}
	add(s, shardyfusion.WriteStarted{})
	d := step()
	add(s, shardyfusion.ShardingCompleted{Elapsed: el, Duration: d})
	phaseStart := el
	var rows int64
	for i := range nShards {
		add(s, shardyfusion.ShardWriteStarted{Elapsed: el, DBID: i})
		retries := 0
		if i%4 == 1 {
			for a := 1; a <= i%3+1; a++ {
				b := time.Duration(rng.Int64N(int64(time.Second)))
				s.backoffMS += ms(b)
				add(s, shardyfusion.ShardWriteRetried{Elapsed: el, DBID: i, Attempt: a, Backoff: b})
				retries++
			}
		}
		batch := 100 + rng.IntN(900)
		s.batchRows += int64(batch)
		add(s, shardyfusion.BatchWritten{Elapsed: el, DBID: i, BatchSize: batch})
		if i%5 == 0 {
			w := time.Duration(rng.Int64N(int64(100 * time.Millisecond)))
			s.waitMS += ms(w)
			add(s, shardyfusion.RateLimiterThrottled{Wait: w})
			dl := time.Duration(rng.Int64N(int64(2 * time.Second)))
			s.delayMS += ms(dl)
			add(s, shardyfusion.S3Retry{Attempt: 1, MaxRetries: 3, Delay: dl})
		}
		d := step()
		n := int64(rng.IntN(10000))
		rows += n
		add(s, shardyfusion.ShardWriteCompleted{Elapsed: el, DBID: i, Rows: n, Duration: d})
		s.shardMS = append(s.shardMS, ms(d))
		s.shards[int64(i)] = runs.Shard{DBID: int64(i), DurationMS: ms(d), Rows: n, Retries: retries}
	}
	add(s, shardyfusion.ShardWriteRetryExhausted{Elapsed: el, DBID: 99, Attempts: 5})
	add(s, shardyfusion.RateLimiterDenied{Tokens: 40})
	add(s, shardyfusion.S3RetryExhausted{Attempts: 4})
	add(s, shardyfusion.ShardWritesCompleted{Elapsed: el, Duration: el - phaseStart, Rows: rows})
	step()
	add(s, shardyfusion.ManifestPublished{Elapsed: el})
	step()
	add(s, shardyfusion.CurrentPublished{Elapsed: el})
	step()
	add(s, shardyfusion.WriteCompleted{Elapsed: el, Rows: rows})

	add(s, shardyfusion.ReaderInitialized{})
	for i := range nGets {
		d := time.Duration(rng.ExpFloat64() * float64(300*time.Microsecond))
		found := rng.IntN(10) != 0
		if !found {
			s.misses++
		}
		s.getMS = append(s.getMS, ms(d))
		add(s, shardyfusion.ReaderGet{Duration: d, Found: found})
		if i%50 == 0 {
			md := time.Duration(rng.Int64N(int64(5 * time.Millisecond)))
			k := 1 + rng.IntN(64)
			s.multiMS = append(s.multiMS, ms(md))
			s.multiKeys += int64(k)
			add(s, shardyfusion.ReaderMultiGet{Duration: md, Keys: k})
		}
		if i%100 == 0 {
			add(s, shardyfusion.ReaderRefreshed{Changed: i%200 == 0})
		}
	}
	add(s, shardyfusion.ReaderClosed{Handles: nShards})
	return s
}

// write emits the script through a real eventlog collector and returns the
// run directory.
func write(t *testing.T, s *script) string {
	t.Helper()
	dir := t.TempDir()
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithQueueSize(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "summary-run")
	for i, e := range s.events {
		c.Emit(ctx, e.ev, e.p)
		if i%1000 == 0 {
			_ = c.Flush(ctx)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Dropped != 0 || st.Written != uint64(len(s.events)) {
		t.Fatalf("collector stats %+v", st)
	}
	return filepath.Dir(c.Path("summary-run"))
}

// nearest is the nearest-rank percentile, computed here independently.
func nearest(v []float64, p float64) float64 {
	v = slices.Clone(v)
	sort.Float64s(v)
	return v[int(math.Ceil(p/100*float64(len(v))))-1]
}

// approx reports whether a and b agree to within float rounding of sums.
func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func checkFigures(t *testing.T, s *script, got *runs.Summary) {
	t.Helper()
	if got.TotalMS != ms(lastOf[shardyfusion.WriteCompleted](t, s).Elapsed) {
		t.Errorf("total %v, want %v", got.TotalMS, ms(lastOf[shardyfusion.WriteCompleted](t, s).Elapsed))
	}
	wantPhases := map[string]float64{
		"sharding":     ms(lastOf[shardyfusion.ShardingCompleted](t, s).Duration),
		"shard writes": ms(lastOf[shardyfusion.ShardWritesCompleted](t, s).Duration),
		"manifest":     ms(lastOf[shardyfusion.ManifestPublished](t, s).Elapsed) - ms(lastOf[shardyfusion.ShardWritesCompleted](t, s).Elapsed),
		"current":      ms(lastOf[shardyfusion.CurrentPublished](t, s).Elapsed) - ms(lastOf[shardyfusion.ManifestPublished](t, s).Elapsed),
	}
	if len(got.Phases) != 4 {
		t.Fatalf("phases %v", got.Phases)
	}
	for _, ph := range got.Phases {
		if ph.MS == nil || *ph.MS != wantPhases[ph.Name] {
			t.Errorf("phase %s = %v, want %v", ph.Name, ph.MS, wantPhases[ph.Name])
		}
	}
	sh := got.Shards
	if sh.Completed != len(s.shardMS) || sh.Started != len(s.shardMS) {
		t.Errorf("shards %d completed, %d started, want %d", sh.Completed, sh.Started, len(s.shardMS))
	}
	if sh.MinMS != slices.Min(s.shardMS) || sh.MaxMS != slices.Max(s.shardMS) || sh.MedianMS != nearest(s.shardMS, 50) {
		t.Errorf("shard min/median/max %v/%v/%v, want %v/%v/%v", sh.MinMS, sh.MedianMS, sh.MaxMS,
			slices.Min(s.shardMS), nearest(s.shardMS, 50), slices.Max(s.shardMS))
	}
	wantSlow := slices.Collect(func(yield func(runs.Shard) bool) {
		for _, x := range s.shards {
			if !yield(x) {
				return
			}
		}
	})
	sort.Slice(wantSlow, func(i, j int) bool { return wantSlow[i].DurationMS > wantSlow[j].DurationMS })
	wantSlow = wantSlow[:min(runs.SlowestShards, len(wantSlow))]
	if !reflect.DeepEqual(sh.Slowest, wantSlow) {
		t.Errorf("slowest\n got %+v\nwant %+v", sh.Slowest, wantSlow)
	}
	if !reflect.DeepEqual(sh.Exhausted, []int64{99}) {
		t.Errorf("exhausted %v", sh.Exhausted)
	}
	if got.Rows.Written != lastOf[shardyfusion.WriteCompleted](t, s).Rows || got.Rows.InShards != lastOf[shardyfusion.ShardWritesCompleted](t, s).Rows ||
		got.Rows.InBatches != s.batchRows || got.Rows.Batches != len(s.shardMS) {
		t.Errorf("rows %+v, want written %d, batches %d rows", got.Rows, lastOf[shardyfusion.WriteCompleted](t, s).Rows, s.batchRows)
	}
	r := got.Retries
	retries := 0
	for _, x := range s.shards {
		retries += x.Retries
	}
	if r.ShardRetries != retries || !approx(r.ShardBackoffMS, s.backoffMS) || r.ShardExhausted != 1 ||
		r.S3Exhausted != 1 || !approx(r.S3DelayMS, s.delayMS) || r.S3Retries != (len(s.shardMS)+4)/5 {
		t.Errorf("retries %+v, want %d shard retries, backoff %v, delay %v", r, retries, s.backoffMS, s.delayMS)
	}
	if got.Limiter.Throttled != (len(s.shardMS)+4)/5 || !approx(got.Limiter.WaitMS, s.waitMS) ||
		got.Limiter.Denied != 1 || got.Limiter.TokensAsked != 40 {
		t.Errorf("limiter %+v, want wait %v", got.Limiter, s.waitMS)
	}
	rd := got.Reader
	wantGets := runs.Latency{Count: len(s.getMS), P50MS: nearest(s.getMS, 50), P90MS: nearest(s.getMS, 90),
		P99MS: nearest(s.getMS, 99), MaxMS: slices.Max(s.getMS)}
	if rd.Gets != wantGets || rd.Misses != s.misses {
		t.Errorf("gets %+v (%d misses), want %+v (%d)", rd.Gets, rd.Misses, wantGets, s.misses)
	}
	wantMulti := runs.Latency{Count: len(s.multiMS), P50MS: nearest(s.multiMS, 50), P90MS: nearest(s.multiMS, 90),
		P99MS: nearest(s.multiMS, 99), MaxMS: slices.Max(s.multiMS)}
	if rd.MultiGets != wantMulti || rd.MultiKeys != s.multiKeys {
		t.Errorf("multi-gets %+v, want %+v", rd.MultiGets, wantMulti)
	}
	if rd.Initialized != 1 || rd.Closed != 1 || rd.Refreshes != (len(s.getMS)+99)/100 {
		t.Errorf("reader %+v", rd)
	}
	// write.completed closed the file; the reader's events reopened it with
	// a second event_log_started line.
	if got.Events != len(s.events) || got.Lines != len(s.events)+2 || !reflect.DeepEqual(got.RunIDs, []string{"summary-run"}) {
		t.Errorf("events %d lines %d runs %v, want %d events", got.Events, got.Lines, got.RunIDs, len(s.events))
	}
	if got.Dropped != 0 || got.Torn != nil || got.Malformed != nil || got.Unknown != nil {
		t.Errorf("unexpected warnings: %+v %+v %v %v", got.Dropped, got.Torn, got.Malformed, got.Unknown)
	}
}

func TestSummaryOfCollectorOutput(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		s := buildRun(seed, 37, 2000)
		dir := write(t, s)
		got, err := runs.ReadFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Path != filepath.Join(dir, "events.jsonl") {
			t.Errorf("path %s", got.Path)
		}
		checkFigures(t, s, got)
		if got.Host == "" || got.PID != os.Getpid() {
			t.Errorf("header host %q pid %d", got.Host, got.PID)
		}
	}
}

func TestTornLastLineAndMalformedLines(t *testing.T) {
	s := buildRun(7, 10, 300)
	dir := write(t, s)
	path := filepath.Join(dir, "events.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	// A crash cut the last write short: the file ends inside a line.
	torn := `{"event":"reader.get","ts":"2026-03-17T23:3`
	if err := os.WriteFile(path, []byte(string(data)+torn), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := runs.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Torn == nil || got.Torn.Line != len(lines) || got.Torn.Bytes != len(torn) {
		t.Fatalf("torn %+v, want line %d of %d bytes", got.Torn, len(lines), len(torn))
	}
	got.Torn = nil
	got.Lines--
	checkFigures(t, s, got)

	var text bytes.Buffer
	if err := got.WriteText(&text); err != nil {
		t.Fatal(err)
	}

	// A malformed line in the middle is listed, not taken for the torn one.
	mid := strings.Join(lines[:5], "") + "garbage\n" + strings.Join(lines[5:], "")
	if err := os.WriteFile(path, []byte(mid), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = runs.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Torn != nil || !reflect.DeepEqual(got.Malformed, []int{6}) {
		t.Errorf("torn %+v malformed %v, want line 6 malformed", got.Torn, got.Malformed)
	}

	// Torn and nothing else: an error, not an empty report.
	if _, err := runs.Read(strings.NewReader(torn)); err == nil {
		t.Error("a file with no complete line was summarized")
	}
}

func TestTextReport(t *testing.T) {
	s := buildRun(11, 12, 500)
	dir := write(t, s)
	path := filepath.Join(dir, "events.jsonl")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"event":"events_dropped","ts":"2026-03-17T23:33:54.953Z","run_id":"summary-run","count":17}` + "\n")
	f.WriteString(`{"event":"custom.thing","ts":"2026-03-17T23:33:54.953Z","run_id":"summary-run"}` + "\n")
	f.WriteString(`{"event":"reader.g`)
	f.Close()
	got, err := runs.ReadFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := got.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	for _, want := range []string{
		"summary-run",
		"total " + runs.Millis(got.TotalMS),
		"sharding " + runs.Millis(*got.Phases[0].MS),
		"median " + runs.Millis(got.Shards.MedianMS),
		"17 events were dropped",
		"torn last line",
		"custom.thing ×1",
		runs.Millis(got.Reader.Gets.P99MS),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, sh := range got.Shards.Slowest {
		if !strings.Contains(out, runs.Millis(sh.DurationMS)) {
			t.Errorf("report lacks slow shard %d", sh.DBID)
		}
	}
	if got.Dropped != 17 || got.Unknown["custom.thing"] != 1 {
		t.Errorf("dropped %d unknown %v", got.Dropped, got.Unknown)
	}

	var j bytes.Buffer
	if err := got.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	var back runs.Summary
	if err := json.Unmarshal(j.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, got) {
		t.Errorf("JSON does not round-trip:\n%s", j.String())
	}
}

func TestWithoutWriteCompleted(t *testing.T) {
	in := `{"event":"event_log_started","ts":"2026-03-17T23:33:54.000Z","run_id":"r","version":"v1","host":"h","pid":1}
{"event":"reader.get","ts":"2026-03-17T23:33:54.000Z","run_id":"r","duration_ms":2,"found":false}
{"event":"reader.get","ts":"2026-03-17T23:33:56.500Z","run_id":"r","duration_ms":1,"found":true}
`
	got, err := runs.Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalMS != 2500 || got.TotalSource != "first to last timestamp" {
		t.Errorf("total %v from %q", got.TotalMS, got.TotalSource)
	}
	for _, ph := range got.Phases {
		if ph.MS != nil {
			t.Errorf("phase %s = %v without its events", ph.Name, *ph.MS)
		}
	}
	if got.Reader.Gets.Count != 2 || got.Reader.Misses != 1 || got.Reader.Gets.P50MS != 1 || got.Reader.Gets.MaxMS != 2 {
		t.Errorf("reader %+v", got.Reader)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}, {10, 1}, {11, 2}} {
		if got := runs.Percentile(v, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := runs.Percentile([]float64{42}, 99); got != 42 {
		t.Errorf("p99 of one value = %v", got)
	}
}

func TestMillis(t *testing.T) {
	for ms, want := range map[float64]string{12.5: "12.5ms", 0.0123: "12µs", 1234.5678: "1.235s", 0: "0s", 90000: "1m30s"} {
		if got := runs.Millis(ms); got != want {
			t.Errorf("Millis(%v) = %q, want %q", ms, got, want)
		}
	}
}

// lastOf returns the last event of type T the script emitted.
func lastOf[T any](t *testing.T, s *script) T {
	t.Helper()
	typ := metrics.TypeOf[T]()
	for i := len(s.events) - 1; i >= 0; i-- {
		if s.events[i].ev == typ.Event() {
			return typ.Unpack(s.events[i].p)
		}
	}
	t.Fatalf("no %v", typ)
	var zero T
	return zero
}

// TestTornAndMalformedLinesAreTold: a last line without its newline is torn;
// a complete line that is not JSON, or has a value of the wrong type, is
// malformed, wherever it stands, and the report names which it found.
func TestTornAndMalformedLinesAreTold(t *testing.T) {
	const good = `{"event":"write.started","ts":"2026-03-17T23:00:00.000Z","run_id":"r","elapsed_ms":0}` + "\n"
	cases := []struct {
		name, data      string
		torn            bool
		malformed       []int
		wantText, error string
	}{
		{"torn", good + `{"event":"write.comp`, true, nil, "torn last line", "unexpected end"},
		{"complete but cut", good + `{"event":"write.comp` + "\n", false, []int{2}, "malformed", "unexpected end"},
		{"wrong type", good + `{"event":"write.shard.completed","ts":"2026-03-17T23:00:01.000Z","db_id":"three"}` + "\n" + good, false, []int{2}, "malformed", "cannot unmarshal string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := runs.Read(strings.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if (s.Torn != nil) != tc.torn || fmt.Sprint(s.Malformed) != fmt.Sprint(tc.malformed) {
				t.Fatalf("torn %+v, malformed %v; want torn %v, malformed %v", s.Torn, s.Malformed, tc.torn, tc.malformed)
			}
			why := s.MalformedError
			if s.Torn != nil {
				why = s.Torn.Error
			}
			if !strings.Contains(why, tc.error) {
				t.Errorf("the reason %q does not say %q", why, tc.error)
			}
			var b strings.Builder
			if err := s.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.wantText) {
				t.Errorf("the report does not say %q:\n%s", tc.wantText, b.String())
			}
		})
	}
}
