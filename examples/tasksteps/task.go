package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/milestone-go/milestone/metrics"
)

// Task is the spec load_task reads: where its inputs are, and what the
// user code computes over them.
type Task struct {
	Name    string   `json:"name"`
	Project string   `json:"project"`
	Domain  string   `json:"domain"`
	Inputs  []string `json:"inputs"`
	// Percentiles are the user code's percentiles of the inputs' values.
	Percentiles []float64 `json:"percentiles"`
}

// Output is what execute_user_code computes, upload_outputs uploads and
// write_decks renders.
type Output struct {
	Count       int                `json:"count"`
	Mean        float64            `json:"mean"`
	StdDev      float64            `json:"stddev"`
	Percentiles map[string]float64 `json:"percentiles"`
}

// ErrUserCode is the user code's own failure (an input it cannot use).
var ErrUserCode = errors.New("user code failed")

// ErrorType is the bounded error_type of a step's error.
func ErrorType(err error) string {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	case errors.Is(err, fs.ErrNotExist):
		return "not_found"
	case errors.As(err, &syntax), errors.As(err, &typeErr):
		return "decode"
	case errors.Is(err, ErrUserCode):
		return "user_code"
	case errors.As(err, new(*fs.PathError)):
		return "io"
	}
	return "other"
}

// runner runs one task execution in a workspace under data: the "remote"
// store it downloads from and uploads to, and its local work directory.
type runner struct {
	data, remote, work string
	run                *metrics.Run
	// fail names a step whose real work is made to fail (-fail).
	fail string

	task   Task
	local  []string
	values [][]float64 // by input
	sizes  []int64     // each input's bytes
	out    Output
}

// step times fn as the step name with the timing helper (wall and CPU
// time) and emits its step event, with status error and the error's type
// when fn fails. It returns fn's error unchanged.
func (r *runner) step(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	ctx, s := r.run.StepCPU(ctx)
	err := fn(ctx)
	ev := StepEnded{Step: name, Status: "success"}
	if err != nil {
		ev.Status, ev.ErrorType = "error", ErrorType(err)
	}
	metrics.End(ctx, s, ev)
	return err
}

// Execute runs the task's steps in order, stopping at the first that
// fails, and returns the name of that step and its error.
func (r *runner) Execute(ctx context.Context) (string, error) {
	steps := []func(context.Context) error{r.loadTask, r.downloadInputs, r.deserializeInputs, r.executeUserCode, r.uploadOutputs, r.writeDecks}
	for i, fn := range steps {
		if err := ctx.Err(); err != nil {
			return Steps[i], err
		}
		if err := r.step(ctx, Steps[i], fn); err != nil {
			return Steps[i], fmt.Errorf("%s: %w", Steps[i], err)
		}
	}
	return "", nil
}

func (r *runner) loadTask(context.Context) error {
	path := filepath.Join(r.remote, "task.json")
	if r.fail == "load_task" {
		path = filepath.Join(r.remote, "no-such-task.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, &r.task)
}

func (r *runner) downloadInputs(ctx context.Context) error {
	dir := filepath.Join(r.work, "inputs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range r.task.Inputs {
		if r.fail == "download_inputs" {
			name = "missing-" + name
		}
		dst := filepath.Join(dir, filepath.Base(name))
		n, err := copyFile(filepath.Join(r.remote, "inputs", name), dst)
		if err != nil {
			return err
		}
		metrics.Emit(ctx, r.run, InputDownloaded{Bytes: n})
		r.local = append(r.local, dst)
	}
	return ctx.Err()
}

// copyFile copies src to dst and returns the bytes copied.
func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if err != nil {
		out.Close()
		return n, err
	}
	return n, out.Close()
}

func (r *runner) deserializeInputs(ctx context.Context) error {
	for i, path := range r.local {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if r.fail == "deserialize_inputs" && i == len(r.local)-1 {
			b = b[:len(b)/2] // a download cut short
		}
		var vs []float64
		if err := json.Unmarshal(b, &vs); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		r.values, r.sizes = append(r.values, vs), append(r.sizes, int64(len(b)))
		metrics.Emit(ctx, r.run, InputDecoded{Input: i, Bytes: int64(len(b)), Values: len(vs)})
	}
	return nil
}

// executeUserCode is the task's own computation: mean, standard deviation
// and percentiles of every input value. It goes through the inputs one by
// one, checking, summing and sorting each and reporting it done, then reads
// the percentiles off the sorted inputs (no merge).
func (r *runner) executeUserCode(ctx context.Context) error {
	chunks := make([][]float64, len(r.values))
	var sum float64
	n := 0
	for i := range r.values {
		vs := slices.Clone(r.values[i]) // the inputs stay as decoded
		if r.fail == "execute_user_code" && i == len(r.values)-1 {
			vs = append(vs, math.NaN())
		}
		chunks[i] = vs
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: input value %v is not a number", ErrUserCode, v)
			}
			sum += v
		}
		slices.Sort(vs)
		n += len(vs)
		metrics.Emit(ctx, r.run, InputComputed{Input: i, Values: len(vs), Bytes: r.sizes[i]})
	}
	if n == 0 {
		return fmt.Errorf("%w: no input values", ErrUserCode)
	}
	mean := sum / float64(n)
	var sq float64
	for _, vs := range chunks {
		for _, v := range vs {
			sq += (v - mean) * (v - mean)
		}
	}
	r.out = Output{Count: n, Mean: mean, StdDev: math.Sqrt(sq / float64(n)), Percentiles: map[string]float64{}}
	for _, p := range r.task.Percentiles {
		i := int(math.Ceil(p/100*float64(n))) - 1
		r.out.Percentiles[fmt.Sprintf("p%g", p)] = kth(chunks, max(0, min(i, n-1)))
	}
	return nil
}

// kth returns the k-th smallest value (from 0) of sorted chunks: the
// smallest value x with more than k values at most x, found by a binary
// search over the float64s in their order.
func kth(chunks [][]float64, k int) float64 {
	atMost := func(x float64) int {
		n := 0
		for _, c := range chunks {
			n += sort.Search(len(c), func(i int) bool { return c[i] > x })
		}
		return n
	}
	lo, hi := orderedBits(math.Inf(-1)), orderedBits(math.Inf(1))
	for lo < hi {
		mid := lo + (hi-lo)/2
		if atMost(fromOrderedBits(mid)) > k {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return fromOrderedBits(lo)
}

// orderedBits maps a float64 (not NaN) to a uint64 of the same order.
func orderedBits(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func fromOrderedBits(b uint64) float64 {
	if b>>63 == 1 {
		return math.Float64frombits(b &^ (1 << 63))
	}
	return math.Float64frombits(^b)
}

func (r *runner) uploadOutputs(context.Context) error {
	dir := filepath.Join(r.remote, "outputs", filepath.Base(r.work))
	if r.fail == "upload_outputs" {
		// The destination's parent is a file, as a misconfigured store
		// would have it: MkdirAll fails even for root.
		blocker := filepath.Join(r.work, "not-a-dir")
		if err := os.WriteFile(blocker, nil, 0o644); err != nil {
			return err
		}
		dir = filepath.Join(blocker, "outputs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r.out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "output.json"), b, 0o644)
}

var deck = template.Must(template.New("deck").Parse(`<!doctype html>
<title>{{.Task.Name}}</title>
<h1>{{.Task.Name}} ({{.Task.Project}}/{{.Task.Domain}})</h1>
<p>{{.Out.Count}} values, mean {{printf "%.3f" .Out.Mean}}, standard deviation {{printf "%.3f" .Out.StdDev}}</p>
<table>{{range $k, $v := .Out.Percentiles}}<tr><th>{{$k}}</th><td>{{printf "%.3f" $v}}</td></tr>{{end}}</table>
`))

func (r *runner) writeDecks(context.Context) error {
	path := filepath.Join(r.work, "deck.html")
	if r.fail == "write_decks" {
		path = filepath.Join(r.work, "decks", "missing-dir", "deck.html")
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := deck.Execute(f, struct {
		Task Task
		Out  Output
	}{r.task, r.out}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// EnsureRemote writes the "remote" store on first use: the task spec and
// its inputs, n JSON files of size values each.
func EnsureRemote(remote string, n, size int) error {
	if _, err := os.Stat(filepath.Join(remote, "task.json")); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(remote, "inputs"), 0o755); err != nil {
		return err
	}
	t := Task{Name: "daily_stats", Project: "pipelines", Domain: "development", Percentiles: []float64{50, 90, 99}}
	for i := range n {
		vs := make([]float64, size)
		for j := range vs {
			// A deterministic spread of values, different per input.
			vs[j] = math.Mod(float64((i+1)*(j*7919+13)), 1000) / 10
		}
		b, err := json.Marshal(vs)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("part-%03d.json", i)
		if err := os.WriteFile(filepath.Join(remote, "inputs", name), b, 0o644); err != nil {
			return err
		}
		t.Inputs = append(t.Inputs, name)
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(remote, "task.json"), b, 0o644)
}
