package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/milestone-go/milestone/metrics"
)

// Row is one row of the table: id,category,value.
type Row struct {
	ID       int64
	Category string
	Value    float64
}

// batchSize is how many rows an operator passes on at once; statsEvery how
// many batches pass between two stats events of an operator.
const (
	batchSize  = 1024
	statsEvery = 16
)

// ErrUnknownColumn is the error of a query that names a column the table
// does not have.
var ErrUnknownColumn = errors.New("unknown column")

// categories of the generated table.
var categories = []string{"books", "games", "garden", "music", "tools", "toys", "travel", "video"}

// EnsureTable writes the table of n rows as CSV under dir, unless it is
// there already, and returns its path. The rows are a pure function of
// their id, so tests can compute any answer on their own.
func EnsureTable(dir string, n int) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("rows-%d.csv", n))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,category,value")
	for i := range int64(n) {
		r := RowOf(i)
		fmt.Fprintf(w, "%d,%s,%s\n", r.ID, r.Category, strconv.FormatFloat(r.Value, 'f', 2, 64))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// RowOf returns row i of the generated table.
func RowOf(i int64) Row {
	return Row{ID: i, Category: categories[(i*7+i/3)%int64(len(categories))], Value: float64((i*37)%10000) / 100}
}

// Query is one query: SELECT category, sum(value), count(*) FROM table
// WHERE <Column> >= Threshold GROUP BY category.
type Query struct {
	Table     string  // the CSV file
	Column    string  // the filtered column: "value" (any other is an unknown column)
	Threshold float64 // the filter's bound
	Result    string  // the result CSV to write
}

// String returns the query's SQL.
func (q Query) String() string {
	return fmt.Sprintf("SELECT category, sum(value), count(*) FROM %s WHERE %s >= %g GROUP BY category",
		filepath.Base(q.Table), q.Column, q.Threshold)
}

// node is one operator of the plan.
type node struct {
	id   int
	name string
}

// plan is the physical plan: scan → filter → project → aggregate → sink.
var plan = []node{{1, "scan"}, {2, "filter"}, {3, "project"}, {4, "aggregate"}, {5, "sink"}}

// opStats counts what an operator did since its last stats event.
type opStats struct {
	n       node
	c       metrics.Collector
	batches int
	s       Stats
}

func (o *opStats) add(ctx context.Context, in, out, read, written int64) {
	o.s.RowsIn += in
	o.s.RowsOut += out
	o.s.BytesRead += read
	o.s.BytesWritten += written
	if o.batches++; o.batches%statsEvery == 0 {
		o.flush(ctx)
	}
}

func (o *opStats) flush(ctx context.Context) {
	if o.s.RowsIn+o.s.RowsOut+o.s.BytesRead+o.s.BytesWritten == 0 {
		return
	}
	o.s.NodeID, o.s.Operator = o.n.id, o.n.name
	metrics.Emit(ctx, o.c, o.s)
	o.s = Stats{}
}

// Execute runs q's plan, its operators on goroutines connected by
// channels, and emits the query's lifecycle to c. It returns the number of
// result rows. ctx carries the query's run (runctx.With, named by its
// query id) and its cancellation; the query is the run's root span, its
// optimization and execution steps under it, the operators under the
// execution.
func Execute(ctx context.Context, c metrics.Collector, q Query) (int64, error) {
	ctx, run := metrics.StartRun(ctx, c)
	metrics.Emit(ctx, run, QueryStarted{Query: q.String()})
	rows, err := execute(ctx, run, q)
	status, errType := "ok", ""
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status, errType = "cancelled", "cancelled"
	case errors.Is(err, ErrUnknownColumn):
		status, errType = "error", "unknown_column"
	default:
		status, errType = "error", "io"
	}
	metrics.EndRun(ctx, run, QueryEnded{Status: status, ErrorType: errType})
	return rows, err
}

func execute(qctx context.Context, run *metrics.Run, q Query) (int64, error) {
	octx, opt := run.Step(qctx)
	metrics.Emit(octx, run, OptimizationStarted{})
	metrics.End(octx, opt, OptimizationEnded{Nodes: len(plan)})

	ectx, exec := run.Step(qctx)
	var size int64
	if st, err := os.Stat(q.Table); err == nil {
		size = st.Size()
	}
	metrics.Emit(ectx, run, ExecutionStarted{BytesTotal: size})
	ctx, cancel := context.WithCancelCause(ectx)
	defer cancel(nil)
	scanned := make(chan []Row, 4)
	filtered := make(chan []Row, 4)
	projected := make(chan []Row, 4)
	groups := make(chan map[string]agg, 1)
	var result int64
	var wg sync.WaitGroup
	operator := func(n node, body func(ctx context.Context, o *opStats) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, step := run.Step(ctx)
			metrics.Emit(ctx, run, OperatorStarted{NodeID: n.id, Operator: n.name})
			o := &opStats{n: n, c: run}
			err := body(ctx, o)
			o.flush(ctx)
			metrics.End(ctx, step, OperatorEnded{NodeID: n.id, Operator: n.name})
			if err != nil {
				cancel(err)
			}
		}()
	}
	operator(plan[0], func(ctx context.Context, o *opStats) error { return scan(ctx, q.Table, scanned, o) })
	operator(plan[1], func(ctx context.Context, o *opStats) error { return filter(ctx, q, scanned, filtered, o) })
	operator(plan[2], func(ctx context.Context, o *opStats) error { return project(ctx, filtered, projected, o) })
	operator(plan[3], func(ctx context.Context, o *opStats) error { return aggregate(ctx, projected, groups, o) })
	operator(plan[4], func(ctx context.Context, o *opStats) error {
		n, err := sink(ctx, q.Result, groups, o)
		result = n
		return err
	})
	wg.Wait()
	metrics.End(ectx, exec, ExecutionEnded{})
	if err := context.Cause(ctx); err != nil {
		return 0, err // an operator's error, or the query's cancellation
	}
	metrics.Emit(qctx, run, ResultOut{Rows: result})
	return result, nil
}

// send passes b on unless ctx is done.
func send[T any](ctx context.Context, ch chan<- T, b T) error {
	select {
	case ch <- b:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func scan(ctx context.Context, path string, out chan<- []Row, o *opStats) error {
	defer close(out)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	batch := make([]Row, 0, batchSize)
	var read int64
	for sc.Scan() {
		line := sc.Text()
		read += int64(len(line)) + 1
		parts := strings.Split(line, ",")
		if len(parts) != 3 {
			return fmt.Errorf("%s: bad line %q", path, line)
		}
		id, _ := strconv.ParseInt(parts[0], 10, 64)
		v, _ := strconv.ParseFloat(parts[2], 64)
		batch = append(batch, Row{ID: id, Category: parts[1], Value: v})
		if len(batch) == batchSize {
			o.add(ctx, int64(len(batch)), int64(len(batch)), read, 0)
			read = 0
			if err := send(ctx, out, batch); err != nil {
				return err
			}
			batch = make([]Row, 0, batchSize)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		o.add(ctx, int64(len(batch)), int64(len(batch)), read, 0)
		return send(ctx, out, batch)
	}
	return nil
}

func filter(ctx context.Context, q Query, in <-chan []Row, out chan<- []Row, o *opStats) error {
	defer close(out)
	for batch := range in {
		var keep []Row
		for _, r := range batch {
			var v float64
			switch q.Column {
			case "value":
				v = r.Value
			case "id":
				v = float64(r.ID)
			default:
				return fmt.Errorf("%w %q", ErrUnknownColumn, q.Column)
			}
			if v >= q.Threshold {
				keep = append(keep, r)
			}
		}
		o.add(ctx, int64(len(batch)), int64(len(keep)), 0, 0)
		if err := send(ctx, out, keep); err != nil {
			return err
		}
	}
	return context.Cause(ctx)
}

func project(ctx context.Context, in <-chan []Row, out chan<- []Row, o *opStats) error {
	defer close(out)
	for batch := range in {
		proj := make([]Row, len(batch))
		for i, r := range batch {
			proj[i] = Row{Category: r.Category, Value: r.Value}
		}
		o.add(ctx, int64(len(batch)), int64(len(proj)), 0, 0)
		if err := send(ctx, out, proj); err != nil {
			return err
		}
	}
	return context.Cause(ctx)
}

type agg struct {
	sum   float64
	count int64
}

func aggregate(ctx context.Context, in <-chan []Row, out chan<- map[string]agg, o *opStats) error {
	defer close(out)
	groups := map[string]agg{}
	for batch := range in {
		for _, r := range batch {
			g := groups[r.Category]
			g.sum += r.Value
			g.count++
			groups[r.Category] = g
		}
		o.add(ctx, int64(len(batch)), 0, 0, 0)
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	o.add(ctx, 0, int64(len(groups)), 0, 0)
	return send(ctx, out, groups)
}

func sink(ctx context.Context, path string, in <-chan map[string]agg, o *opStats) (int64, error) {
	groups, ok := <-in
	if !ok {
		return 0, context.Cause(ctx)
	}
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("category,sum,count\n")
	for _, k := range names {
		fmt.Fprintf(&b, "%s,%s,%d\n", k, strconv.FormatFloat(groups[k].sum, 'f', 2, 64), groups[k].count)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return 0, err
	}
	o.add(ctx, int64(len(groups)), int64(len(groups)), 0, int64(b.Len()))
	return int64(len(groups)), nil
}
