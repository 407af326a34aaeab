package eventlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

func TestConformance(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector {
		c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

// line is one decoded line of an events.jsonl, with its keys in file order.
type line struct {
	raw    string
	keys   []string
	fields map[string]any
}

// readLines decodes every line of path; it fails the test on a line that is
// not a complete JSON object.
func readLines(t *testing.T, path string) []line {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []line
	for i, raw := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		l, err := decodeLine(raw)
		if err != nil {
			t.Fatalf("%s line %d %q: %v", path, i+1, raw, err)
		}
		out = append(out, l)
	}
	return out
}

func decodeLine(raw string) (line, error) {
	l := line{raw: raw, fields: map[string]any{}}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return l, fmt.Errorf("not an object: %v", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return l, err
		}
		k := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return l, err
		}
		if _, dup := l.fields[k]; dup {
			return l, fmt.Errorf("duplicate key %q", k)
		}
		l.keys = append(l.keys, k)
		l.fields[k] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return l, fmt.Errorf("unterminated object: %v", err)
	}
	if dec.More() {
		return l, fmt.Errorf("trailing data")
	}
	return l, nil
}

// stepClock returns a clock that starts at start and moves step per call.
func stepClock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	now := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := now
		now = now.Add(step)
		return t
	}
}

type emitted struct {
	ev metrics.Event
	p  metrics.Payload
}

// typed turns an event's struct into what the script emits.
func typed[T any](v T) emitted {
	t := metrics.TypeOf[T]()
	return emitted{t.Event(), t.Pack(v)}
}

// scriptedRun is a small but complete write with a retry, followed by
// nothing else: WriteCompleted closes the run's file.
func scriptedRun() []emitted {
	ms := time.Millisecond
	return []emitted{
		typed(shardyfusion.WriteStarted{}),
		typed(shardyfusion.ShardingCompleted{Elapsed: 120 * ms, Duration: 119500 * time.Microsecond}),
		typed(shardyfusion.ShardWriteStarted{Elapsed: 121 * ms, DBID: 0}),
		typed(shardyfusion.BatchWritten{Elapsed: 130 * ms, DBID: 0, BatchSize: 500}),
		typed(shardyfusion.ShardWriteRetried{Elapsed: 131 * ms, DBID: 0, Attempt: 1, Backoff: 250 * ms}),
		typed(shardyfusion.S3Retry{Attempt: 1, MaxRetries: 4, Delay: 1500 * ms}),
		typed(shardyfusion.RateLimiterThrottled{Wait: 33333 * time.Microsecond}),
		typed(shardyfusion.ShardWriteCompleted{Elapsed: 852400 * time.Microsecond, DBID: 0, Rows: 5000, Duration: 12500 * time.Microsecond}),
		typed(shardyfusion.ShardWritesCompleted{Elapsed: 853 * ms, Duration: 733 * ms, Rows: 5000}),
		typed(shardyfusion.ManifestPublished{Elapsed: 900 * ms}),
		typed(shardyfusion.CurrentPublished{Elapsed: 910 * ms}),
		typed(shardyfusion.WriteCompleted{Elapsed: 911 * ms, Rows: 5000}),
	}
}

// wantValue is the JSON value (as decoded with UseNumber) the declaration
// prescribes for field f of p, computed by the test on its own: durations
// in milliseconds for *_ms fields and seconds for the others.
func wantValue(f *metrics.Field, p metrics.Payload) any {
	switch f.Kind {
	case metrics.KindInt:
		return json.Number(strconv.FormatInt(p.Int(f), 10))
	case metrics.KindFloat:
		return p.Float(f)
	case metrics.KindBool:
		return p.Bool(f)
	case metrics.KindDuration:
		if strings.HasSuffix(f.Name, "_ms") {
			return float64(p.Duration(f)) / float64(time.Millisecond)
		}
		return float64(p.Duration(f)) / float64(time.Second)
	case metrics.KindString:
		return p.Str(f)
	}
	return nil
}

func checkEventLine(t *testing.T, got line, run string, ts time.Time, e emitted) {
	t.Helper()
	d, _ := metrics.Describe(e.ev)
	wantKeys := []string{"event", "ts", "run_id", "trace_id", "span_id"}
	for _, f := range d.Fields {
		wantKeys = append(wantKeys, f.Name)
	}
	if strings.Join(got.keys, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("%s: keys %v, want %v", e.ev, got.keys, wantKeys)
	}
	if got.fields["event"] != e.ev.String() {
		t.Errorf("event %v, want %v", got.fields["event"], e.ev)
	}
	if want := ts.UTC().Format("2006-01-02T15:04:05.000Z"); got.fields["ts"] != want {
		t.Errorf("%s: ts %v, want %v", e.ev, got.fields["ts"], want)
	}
	if got.fields["run_id"] != run {
		t.Errorf("%s: run_id %v, want %v", e.ev, got.fields["run_id"], run)
	}
	// No span in the context: the ids of the run's root, derived from its id.
	if tr, sp := runctx.Derive(run); got.fields["trace_id"] != tr.String() || got.fields["span_id"] != sp.String() {
		t.Errorf("%s: trace_id %v span_id %v, want the ids derived from run %q", e.ev, got.fields["trace_id"], got.fields["span_id"], run)
	}
	for _, f := range d.Fields {
		v := got.fields[f.Name]
		want := wantValue(f, e.p)
		if fl, isFloat := want.(float64); isFloat {
			n, ok := v.(json.Number)
			if !ok {
				t.Errorf("%s %s: %v is not a number", e.ev, f.Name, v)
				continue
			}
			gotF, err := n.Float64()
			if err != nil || gotF != fl {
				t.Errorf("%s %s: %v, want %v", e.ev, f.Name, n, fl)
			}
			continue
		}
		if v != want {
			t.Errorf("%s %s: %v (%T), want %v (%T)", e.ev, f.Name, v, v, want, want)
		}
	}
}

func TestScriptedRunLineSequence(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 3, 17, 23, 33, 54, 953_000_000, time.UTC)
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithClock(stepClock(start, 7*time.Millisecond)),
		eventlog.WithHost("worker-7"), eventlog.WithVersion("v1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "r1")
	script := scriptedRun()
	for _, e := range script {
		c.Emit(ctx, e.ev, e.p)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// write.completed closed the run's file.
	if st := c.Stats(); st.FilesOpened != 1 || st.FilesClosed != 1 {
		t.Errorf("after write.completed: %+v, want one file opened and closed", st)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(dir, "r1", "events.jsonl")
	if c.Path("r1") != path {
		t.Errorf("Path(r1) = %s, want %s", c.Path("r1"), path)
	}
	lines := readLines(t, path)
	if len(lines) != 1+len(script) {
		t.Fatalf("%d lines, want %d", len(lines), 1+len(script))
	}
	// The header: exactly these keys, in this order.
	host, _ := json.Marshal("worker-7")
	ends, _ := json.Marshal(eventlog.EndsRun())
	if !strings.Contains(string(ends), `"write.completed"`) || !strings.Contains(string(ends), `"write.failed"`) {
		t.Errorf("ends_run %s lacks the built-in run-ending events", ends)
	}
	wantHeader := `{"event":"event_log_started","ts":"2026-03-17T23:33:54.953Z","run_id":"r1","ends_run":` + string(ends) + `,"version":"v1.2.3","host":` +
		string(host) + `,"pid":` + strconv.Itoa(os.Getpid()) + `}`
	if lines[0].raw != wantHeader {
		t.Errorf("header\n got %s\nwant %s", lines[0].raw, wantHeader)
	}
	for i, e := range script {
		checkEventLine(t, lines[i+1], "r1", start.Add(time.Duration(i)*7*time.Millisecond), e)
	}
	// The documented line, byte for byte (the ids derived from "r1").
	const want = `{"event":"write.shard.completed","ts":"2026-03-17T23:33:55.002Z","run_id":"r1","trace_id":"d3a0ea7a7438a748ed40acd020cecdff","span_id":"c292d594ff5f9dbd","elapsed_ms":852.4,"db_id":0,"row_count":5000,"duration_ms":12.5}`
	if got := lines[8].raw; got != want {
		t.Errorf("shard line\n got %s\nwant %s", got, want)
	}
	st := c.Stats()
	if st.Accepted != uint64(len(script)) || st.Written != uint64(len(script)) || st.Dropped+st.Lost+st.WriteErrors != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestEveryEventWithFullPayload(t *testing.T) {
	dir := t.TempDir()
	c, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "all")
	var script []emitted
	for i, d := range metrics.Descriptors() {
		p := collectortest.FullPayload(d)
		for _, f := range d.Fields {
			switch f.Kind {
			case metrics.KindInt:
				p.SetInt(f, int64(i))
			case metrics.KindDuration:
				p.SetDuration(f, time.Duration(i)*time.Millisecond+123456*time.Nanosecond)
			case metrics.KindBool:
				p.SetBool(f, i%2 == 0)
			case metrics.KindString:
				p.SetStr(f, "q\"uote\n"+strconv.Itoa(i))
			}
		}
		// Events that end a run close the file; send one of them last.
		if d.EndsRun {
			continue
		}
		script = append(script, emitted{d.Event, p})
	}
	closed := shardyfusion.Catalog.Descriptors()[13]
	script = append(script, emitted{closed.Event, collectortest.FullPayload(closed)})
	before := time.Now().Add(-time.Millisecond)
	for _, e := range script {
		c.Emit(ctx, e.ev, e.p)
	}
	for _, ev := range collectortest.Unknown {
		c.Emit(ctx, ev, collectortest.FullPayload(closed))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(time.Millisecond)
	lines := readLines(t, c.Path("all"))
	if len(lines) != 1+len(script) {
		t.Fatalf("%d lines, want %d", len(lines), 1+len(script))
	}
	for i, e := range script {
		l := lines[i+1]
		ts, err := time.Parse(time.RFC3339Nano, l.fields["ts"].(string))
		if err != nil || ts.Before(before) || ts.After(after) {
			t.Errorf("ts %v not between %v and %v (%v)", l.fields["ts"], before, after, err)
		}
		checkEventLine(t, l, "all", ts, e)
	}
}

func TestConcurrentRunsInSeparateDirectories(t *testing.T) {
	dir := t.TempDir()
	c, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	runs := []string{"run-a", "run-b"}
	var wg sync.WaitGroup
	for r, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := runctx.With(context.Background(), run)
			for i := range n {
				metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: i, Rows: int64(r)})
				if i%500 == 0 {
					_ = c.Flush(ctx)
				}
			}
		}()
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Dropped != 0 || st.Written != 2*n {
		t.Fatalf("stats %+v, want %d written and none dropped", st, 2*n)
	}
	for r, run := range runs {
		path := filepath.Join(dir, run, "events.jsonl")
		lines := readLines(t, path)
		if len(lines) != n+1 {
			t.Fatalf("%s: %d lines, want %d", run, len(lines), n+1)
		}
		for i, l := range lines[1:] {
			if l.fields["run_id"] != run || l.fields["db_id"] != json.Number(strconv.Itoa(i)) ||
				l.fields["row_count"] != json.Number(strconv.Itoa(r)) {
				t.Fatalf("%s line %d: %s", run, i+2, l.raw)
			}
		}
	}
}

func TestRunIDSources(t *testing.T) {
	dir := t.TempDir()
	c, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	def := c.DefaultRun()
	if !regexp.MustCompile(`^[a-z]+-[a-z]+-[0-9a-f]{6}$`).MatchString(def) {
		t.Errorf("default run %q is not adjective-animal-hex", def)
	}
	bg := context.Background()
	logged := logctx.With(bg, "run_id", "from-logctx", "other", 1)
	numeric := logctx.With(bg, "run_id", 4242)
	cases := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"none", bg, def},
		{"WithRun", runctx.With(bg, "explicit"), "explicit"},
		{"logctx", logged, "from-logctx"},
		{"WithRun wins over logctx", runctx.With(logged, "explicit"), "explicit"},
		{"empty WithRun falls back to logctx", runctx.With(logged, ""), "from-logctx"},
		{"non-string logctx value", numeric, "4242"},
		{"logctx without run_id", logctx.With(bg, "other", 1), def},
	}
	for _, tc := range cases {
		if got := c.Run(tc.ctx); got != tc.want {
			t.Errorf("%s: Run = %q, want %q", tc.name, got, tc.want)
		}
		metrics.Emit(tc.ctx, c, shardyfusion.ReaderGet{Found: true})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, tc := range cases {
		counts[tc.want]++
	}
	for run, n := range counts {
		lines := readLines(t, c.Path(run))
		if len(lines) != n+1 {
			t.Errorf("run %s: %d lines, want %d", run, len(lines), n+1)
		}
		for _, l := range lines {
			if l.fields["run_id"] != run {
				t.Errorf("run %s: line %s", run, l.raw)
			}
		}
	}
	if c.DefaultRun() != def {
		t.Errorf("default run changed from %s to %s", def, c.DefaultRun())
	}
	c2, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithDefaultRun("chosen"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.Run(bg) != "chosen" {
		t.Errorf("WithDefaultRun: Run = %q", c2.Run(bg))
	}
}

func TestRunDirCannotEscape(t *testing.T) {
	cases := map[string]string{
		"plain-id_1.2":  "plain-id_1.2",
		"a/b":           "a%2Fb",
		"../../etc":     "..%2F..%2Fetc",
		"..":            "%2E%2E",
		".":             "%2E",
		"":              "%00",
		"100%":          "100%25",
		`C:\x`:          "C%3A%5Cx",
		"sp ace\x00nul": "sp%20ace%00nul",
		"héllo":         "h%C3%A9llo",
	}
	for id, want := range cases {
		if got := eventlog.RunDir(id); got != want {
			t.Errorf("RunDir(%q) = %q, want %q", id, got, want)
		}
	}
	long := strings.Repeat("x/", 300)
	got := eventlog.RunDir(long)
	if len(got) > 200 || strings.ContainsAny(got, `/\`) {
		t.Errorf("RunDir(long) = %q (%d bytes)", got, len(got))
	}
	if eventlog.RunDir(long) == eventlog.RunDir(long+"y") {
		t.Errorf("two long ids share a directory")
	}

	// Emit with hostile ids: every file lands directly under dir.
	parent := t.TempDir()
	dir := filepath.Join(parent, "events")
	c, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	hostile := []string{"../escape", "../../escape2", "/abs/olute", "..", ".", "a/../../b", long}
	for _, id := range hostile {
		metrics.Emit(runctx.With(context.Background(), id), c, shardyfusion.WriteStarted{})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "events" {
		t.Errorf("something was created beside the event dir: %v", entries)
	}
	for _, id := range hostile {
		path := c.Path(id)
		if filepath.Dir(filepath.Dir(path)) != dir {
			t.Errorf("%q: path %s is not directly under %s", id, path, dir)
		}
		lines := readLines(t, path)
		if len(lines) != 2 || lines[1].fields["run_id"] != id {
			t.Errorf("%q: lines %v", id, lines)
		}
	}
}

func TestDirectoryPrecedence(t *testing.T) {
	home := t.TempDir()
	env := t.TempDir()
	arg := t.TempDir()
	t.Setenv("HOME", home)

	t.Setenv(eventlog.EnvDir, "")
	if got, _ := eventlog.ResolveDir(""); got != filepath.Join(home, ".milestone", "events") {
		t.Errorf("default: %s", got)
	}
	t.Setenv(eventlog.EnvDir, env)
	if got, _ := eventlog.ResolveDir(""); got != env {
		t.Errorf("env: %s, want %s", got, env)
	}
	if got, _ := eventlog.ResolveDir(arg); got != arg {
		t.Errorf("argument: %s, want %s (the argument wins over the env)", got, arg)
	}
	c, err := eventlog.New(eventlog.WithDir(""))
	if err != nil {
		t.Fatal(err)
	}
	metrics.Emit(runctx.With(context.Background(), "r"), c, shardyfusion.WriteStarted{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if c.Dir() != env {
		t.Errorf("New(\"\").Dir() = %s, want %s", c.Dir(), env)
	}
	if _, err := os.Stat(filepath.Join(env, "r", "events.jsonl")); err != nil {
		t.Errorf("New(\"\") did not write under %s: %v", eventlog.EnvDir, err)
	}
	if _, err := os.Stat(filepath.Join(home, ".milestone")); !os.IsNotExist(err) {
		t.Errorf("New(\"\") with %s set touched the home directory: %v", eventlog.EnvDir, err)
	}
}

func TestInvalidConstruction(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir  string
		opt  eventlog.Option
		want string
	}{
		{t.TempDir(), eventlog.WithQueueSize(0), "WithQueueSize"},
		{t.TempDir(), eventlog.WithQueueSize(eventlog.MaxQueueSize + 1), "WithQueueSize"},
		{t.TempDir(), eventlog.WithBufferSize(100), "WithBufferSize"},
		{t.TempDir(), eventlog.WithMaxOpenFiles(0), "WithMaxOpenFiles"},
		{t.TempDir(), eventlog.WithLogger(nil), "WithLogger"},
		{t.TempDir(), eventlog.WithClock(nil), "WithClock"},
		{t.TempDir(), eventlog.WithDefaultRun(""), "WithDefaultRun"},
		{file, eventlog.WithSync(), "not a directory"},
		{t.TempDir(), nil, "option 1 is nil"},
	}
	for _, tc := range cases {
		c, err := eventlog.New(eventlog.WithDir(tc.dir), tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s): error %v, want one naming %s", tc.want, err, tc.want)
		}
		if c != nil {
			t.Errorf("New(%s) returned a collector with its error", tc.want)
		}
	}
}

func TestNilContext(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	// A careless caller's nil context must not panic.
	metrics.Emit(nil, c, shardyfusion.WriteStarted{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(readLines(t, c.Path(c.DefaultRun()))); n != 2 {
		t.Errorf("%d lines in the default run, want 2", n)
	}
}

func TestCloseIdempotentAndEmitAfterClose(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "r")
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	metrics.Emit(ctx, c, shardyfusion.ReaderGet{})
	if err := c.Flush(ctx); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	st := c.Stats()
	if st.DroppedAfterClose != 2 || st.Written != 1 {
		t.Errorf("stats %+v: want 1 written and 2 dropped after Close", st)
	}
	if n := len(readLines(t, c.Path("r"))); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}

func TestFileReopenedAfterRunEnd(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "r")
	metrics.Emit(ctx, c, shardyfusion.ReaderInitialized{})
	metrics.Emit(ctx, c, shardyfusion.ReaderClosed{Handles: 4})
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.FilesClosed != 1 {
		t.Errorf("reader.closed did not close the file: %+v", st)
	}
	metrics.Emit(ctx, c, shardyfusion.ReaderInitialized{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, l := range readLines(t, c.Path("r")) {
		events = append(events, l.fields["event"].(string))
	}
	want := "event_log_started reader.initialized reader.closed event_log_started reader.initialized"
	if strings.Join(events, " ") != want {
		t.Errorf("events %v, want %s", events, want)
	}
	if st := c.Stats(); st.FilesOpened != 2 || st.FilesClosed != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestMaxOpenFilesEvictsLeastRecentlyUsed(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()), eventlog.WithMaxOpenFiles(2))
	if err != nil {
		t.Fatal(err)
	}
	runs := []string{"a", "b", "c", "a", "b", "c", "c"}
	for i, r := range runs {
		metrics.Emit(runctx.With(context.Background(), r), c, shardyfusion.ShardWriteStarted{DBID: i})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.FilesOpened != st.FilesClosed || st.FilesOpened < 5 {
		t.Errorf("stats %+v: want files reopened after eviction, all closed", st)
	}
	for _, r := range []string{"a", "b", "c"} {
		var ids []string
		for _, l := range readLines(t, c.Path(r)) {
			if l.fields["event"] == "write.shard.started" {
				ids = append(ids, string(l.fields["db_id"].(json.Number)))
			}
		}
		var want []string
		for i, rr := range runs {
			if rr == r {
				want = append(want, strconv.Itoa(i))
			}
		}
		if strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Errorf("run %s: db_ids %v, want %v", r, ids, want)
		}
	}
}

func TestOpenErrorsCountedAndReportedOnce(t *testing.T) {
	// A regular file where the run directory should be: MkdirAll fails,
	// whoever runs the test (root included).
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blocked"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	bad := runctx.With(context.Background(), "blocked")
	good := runctx.With(context.Background(), "fine")
	for i := range 10 {
		metrics.Emit(bad, c, shardyfusion.ShardWriteStarted{DBID: i})
		metrics.Emit(good, c, shardyfusion.ShardWriteStarted{DBID: i})
	}
	if err := c.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "10 events lost") {
		t.Errorf("Flush after lost events: %v, want the 10 lost", err)
	}
	metrics.Emit(bad, c, shardyfusion.WriteCompleted{}) // ends the run; the next event retries
	metrics.Emit(bad, c, shardyfusion.WriteStarted{})
	err = c.Close()
	if err == nil || !strings.Contains(err.Error(), `run "blocked"`) {
		t.Errorf("Close: %v, want the failed run's error", err)
	}
	st := c.Stats()
	if st.Lost != 12 || st.Written != 10 || st.WriteErrors != 2 {
		t.Errorf("stats %+v: want 12 lost, 10 written, 2 write errors", st)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d error reports, want 1:\n%s", n, logs.String())
	}
	if n := len(readLines(t, c.Path("fine"))); n != 11 {
		t.Errorf("good run: %d lines, want 11", n)
	}
}

func TestTimestampAndNumberEncoding(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var now time.Time
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "enc")
	base := time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("X", 5*3600))
	var want []time.Time
	var durs []time.Duration
	for i := range 2000 {
		ts := base.Add(time.Duration(i*i) * 997 * time.Microsecond)
		d := time.Duration(i*i*i*7919) - time.Duration(i)*time.Hour // some negative, some huge
		if i%3 == 0 {
			d = time.Duration(i) * time.Second
		}
		mu.Lock()
		now = ts
		mu.Unlock()
		metrics.Emit(ctx, c, shardyfusion.ShardWriteRetried{Elapsed: d, Backoff: d / 3, DBID: -i})
		want = append(want, ts)
		durs = append(durs, d)
		if i%100 == 0 {
			_ = c.Flush(ctx)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, c.Path("enc"))[1:]
	if len(lines) != len(want) {
		t.Fatalf("%d event lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		if got, w := l.fields["ts"], want[i].UTC().Format("2006-01-02T15:04:05.000Z07:00"); got != w {
			t.Fatalf("line %d ts %v, want %v", i, got, w)
		}
		// The exact decimal of each duration, in its unit, parses back to the
		// nearest float64 of the same value computed from nanoseconds.
		for key, want := range map[string]float64{
			"elapsed_ms": float64(durs[i]) / 1e6,
			"backoff_s":  float64(durs[i]/3) / 1e9,
		} {
			n := l.fields[key].(json.Number)
			got, err := n.Float64()
			if err != nil || got != want {
				t.Fatalf("line %d %s = %s, want %v", i, key, n, want)
			}
		}
	}
}

func TestRunIDEscapedInJSON(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{`quo"te`, `back\slash`, "new\nline\ttab\x01", "invalid\xff\xfeutf8", "ünï€ode", "</script>"}
	for _, id := range ids {
		metrics.Emit(runctx.With(context.Background(), id), c, shardyfusion.WriteStarted{})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		// encoding/json's reading of the id: each invalid byte becomes U+FFFD.
		var want string
		enc, _ := json.Marshal(id)
		if err := json.Unmarshal(enc, &want); err != nil {
			t.Fatal(err)
		}
		for _, l := range readLines(t, c.Path(id)) {
			if l.fields["run_id"] != want {
				t.Errorf("run_id %q, want %q", l.fields["run_id"], want)
			}
		}
	}
}

func TestEmitAllocatesNothing(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()), eventlog.WithQueueSize(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctxs := []context.Context{
		context.Background(),
		runctx.With(context.Background(), "alloc"),
		logctx.With(context.Background(), "run_id", "alloc-logctx"),
		logctx.With(context.Background(), "run_id", 7),
	}
	sample := collectortest.SampleEvent
	p := collectortest.FullPayload(sample.Descriptor())
	for _, ctx := range ctxs {
		c.Emit(ctx, sample.Event(), p) // warm: open files, cache the run id
		_ = c.Flush(ctx)
		if n := testing.AllocsPerRun(1000, func() { c.Emit(ctx, sample.Event(), p) }); n != 0 {
			t.Errorf("Emit with run %q: %v allocs/op", c.Run(ctx), n)
		}
	}
}

// TestDefinedRunEndingEventClosesTheFile: an application's own event that
// declares EndsRun closes the run's file like write.completed; one that does
// not leaves it open.
func TestDefinedRunEndingEventClosesTheFile(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "export")
	exportStartedEvent.Emit(ctx, c, exportStarted{Elapsed: time.Millisecond})
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.FilesOpened != 1 || st.FilesClosed != 0 {
		t.Errorf("after export.started: %+v, want the file open", st)
	}
	exportDoneEvent.Emit(ctx, c, exportDone{Elapsed: 2 * time.Millisecond, Rows: 7})
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.FilesClosed != 1 {
		t.Errorf("after export.done: %+v, want the file closed", st)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, l := range readLines(t, c.Path("export")) {
		events = append(events, l.fields["event"].(string))
	}
	if want := []string{"event_log_started", "export.started", "export.done"}; !slices.Equal(events, want) {
		t.Errorf("events = %v, want %v", events, want)
	}
}

var exportCatalog = metrics.MustNewCatalog("eventlog_test")

type exportStarted struct {
	Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
}

type exportDone struct {
	Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
	Rows    int64         `milestone:"rows_written"`
}

var (
	exportStartedEvent = metrics.MustDeclare[exportStarted](exportCatalog, metrics.Spec{
		Code: 1, Wire: "export.started", Group: "export", Help: "An export began.",
		Instruments: []metrics.Instrument{metrics.Count("exports_started_total", "Exports started.")},
	})
	exportDoneEvent = metrics.MustDeclare[exportDone](exportCatalog, metrics.Spec{
		Code: 2, Wire: "export.done", Group: "export", Help: "An export finished.", EndsRun: true,
		Instruments: []metrics.Instrument{metrics.Count("exports_done_total", "Exports finished.")},
	})
)

// TestSyncBeforeClosing: with WithSync a run's file is fsynced when a
// run-ending event closes it and when Close closes it; without, never.
func TestSyncBeforeClosing(t *testing.T) {
	for _, sync := range []bool{true, false} {
		var opts []eventlog.Option
		if sync {
			opts = append(opts, eventlog.WithSync())
		}
		c, err := eventlog.New(append(opts, eventlog.WithDir(t.TempDir()))...)
		if err != nil {
			t.Fatal(err)
		}
		done := runctx.With(context.Background(), "done")
		open := runctx.With(context.Background(), "open")
		metrics.Emit(done, c, shardyfusion.WriteStarted{})
		metrics.Emit(open, c, shardyfusion.WriteStarted{})
		metrics.Emit(done, c, shardyfusion.WriteCompleted{Elapsed: time.Second, Rows: 10})
		if err := c.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := map[bool]uint64{true: 1, false: 0}[sync]
		if st := c.Stats(); st.FilesSynced != want || st.FilesClosed != 1 {
			t.Errorf("sync=%v, after write.completed: %+v, want %d synced and 1 closed", sync, st, want)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		want = map[bool]uint64{true: 2, false: 0}[sync]
		if st := c.Stats(); st.FilesSynced != want || st.FilesClosed != 2 || st.WriteErrors != 0 || st.Written != 3 {
			t.Errorf("sync=%v, after Close: %+v, want %d synced, 2 closed, 3 written", sync, st, want)
		}
	}
}

// TestSyncOnEviction: with WithSync a file evicted for another run's is
// fsynced before it is closed.
func TestSyncOnEviction(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()), eventlog.WithSync(), eventlog.WithMaxOpenFiles(1))
	if err != nil {
		t.Fatal(err)
	}
	metrics.Emit(runctx.With(context.Background(), "first"), c, shardyfusion.WriteStarted{})
	metrics.Emit(runctx.With(context.Background(), "second"), c, shardyfusion.WriteStarted{})
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.FilesSynced != 1 || st.FilesClosed != 1 || st.FilesOpened != 2 {
		t.Errorf("after the eviction: %+v, want 2 opened, 1 synced and closed", st)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.FilesSynced != 2 {
		t.Errorf("after Close: %+v, want 2 synced", st)
	}
}
