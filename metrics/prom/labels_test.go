package prom_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/prom"
)

var labelCatalog = metrics.MustNewCatalog("prom_labels_test")

// opEnded has a capped label and a closed one.
type opEnded struct {
	Duration  time.Duration `milestone:"duration_ms,duration"`
	Operation string        `milestone:"operation,label,cap=10"`
	Status    string        `milestone:"status,label,values=ok|error"`
	Rows      int64
}

var opEndedEvent = metrics.MustDeclare[opEnded](labelCatalog, metrics.Spec{
	Code: 1, Wire: "op.ended", Group: "op", Help: "An operation ended.",
	Instruments: []metrics.Instrument{
		metrics.Count("ops_total", "Operations ended.", "operation", "status"),
		metrics.Sum("op_rows_total", "Rows.", "rows", "status"),
		metrics.Hist("op_duration_seconds", "Operation time.", "duration_ms", metrics.BucketsStep, "operation"),
	},
})

// TestCappedLabelBoundsSeries: 10,000 distinct values into a label capped at
// 10 make at most 11 values of it in prom, the overflow series counts
// exactly the values past the cap, and the overflow is counted.
func TestCappedLabelBoundsSeries(t *testing.T) {
	c, reg := newCollector(t, prom.WithCatalog(labelCatalog))
	d := opEndedEvent.Descriptor()
	opField, _ := d.Field("operation")
	statusField, _ := d.Field("status")
	opBefore, statusBefore := opField.Label.Overflows(), statusField.Label.Overflows()
	ctx := context.Background()
	const n = 10000
	bogus := 0
	for i := range n {
		status := []string{"ok", "error", "bogus"}[i%3]
		if status == "bogus" {
			bogus++
		}
		opEndedEvent.Emit(ctx, c, opEnded{Operation: "op-" + strconv.Itoa(i), Status: status, Rows: 1, Duration: time.Millisecond})
	}
	got := samples(t, reg)
	var series, ops, overflow int
	for k, v := range got {
		if strings.HasPrefix(k, "prom_labels_test_ops_total{") {
			series++
			ops += int(v)
			if strings.Contains(k, `operation="other"`) {
				overflow += int(v)
			}
		}
	}
	if series > (10+1)*(2+1) {
		t.Errorf("%d series of ops_total, want at most 33", series)
	}
	if ops != n {
		t.Errorf("ops_total adds up to %d, want %d", ops, n)
	}
	// op-0 … op-9 were admitted (emitted first, one goroutine).
	if overflow != n-10 {
		t.Errorf("the overflow series counted %d, want %d", overflow, n-10)
	}
	if got := opField.Label.Overflows() - opBefore; got != n-10 {
		t.Errorf("operation overflows %d, want %d", got, n-10)
	}
	if got := statusField.Label.Overflows() - statusBefore; got != uint64(bogus) {
		t.Errorf("status overflows %d, want %d", got, bogus)
	}
	if v := got[`prom_labels_test_op_rows_total{status="other"}`]; int(v) != bogus {
		t.Errorf(`op_rows_total{status="other"} = %v, want %d`, v, bogus)
	}
	if v := got[`prom_labels_test_op_duration_seconds_count{operation="other"}`]; int(v) != n-10 {
		t.Errorf(`op_duration_seconds_count{operation="other"} = %v, want %d`, v, n-10)
	}
	if v := got[`prom_labels_test_op_duration_seconds_count{operation="op-3"}`]; v != 1 {
		t.Errorf(`op_duration_seconds_count{operation="op-3"} = %v, want 1`, v)
	}
}
