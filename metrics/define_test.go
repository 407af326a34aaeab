package metrics_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

func exportDescriptor() metrics.Descriptor {
	return metrics.Descriptor{
		Event: 1001, Name: "ExportFinished", Wire: "export.finished", Group: "export",
		Help: "An export finished.",
		Keys: []metrics.Key{metrics.KeyDuration, metrics.KeyRowsWritten},
		Instruments: []metrics.Instrument{
			{Kind: metrics.Counter, Name: "exports_total", Help: "Exports finished."},
			{Kind: metrics.Histogram, Name: "export_duration_seconds", Help: "Export time.", Unit: "s",
				Value: metrics.KeyDuration, Buckets: []float64{0.1, 1, 10}},
		},
		EndsRun: true,
	}
}

var (
	defineOnce  sync.Once
	exportEvent metrics.Event
	defineErr   error
)

// defineExport defines the test event once per test binary, so -count=N works.
func defineExport() (metrics.Event, error) {
	defineOnce.Do(func() { exportEvent, defineErr = metrics.Define(exportDescriptor()) })
	return exportEvent, defineErr
}

func TestDefineAddsAnEventToTheCatalog(t *testing.T) {
	d := exportDescriptor()
	ev, err := defineExport()
	if err != nil {
		t.Fatal(err)
	}
	if ev != 1001 || ev.String() != "export.finished" || !ev.Known() {
		t.Fatalf("defined event = %d %q known=%v", ev, ev, ev.Known())
	}
	if got, ok := metrics.Lookup("export.finished"); !ok || got != ev {
		t.Errorf("Lookup = %d, %v", got, ok)
	}
	evs := metrics.Events()
	if evs[len(evs)-1] != ev && !containsEvent(evs, ev) {
		t.Errorf("Events() lacks the defined event: %v", evs)
	}
	// Define copied the descriptor: changing the caller's copy changes nothing.
	d.Instruments[0].Name = "mutated_total"
	got, _ := metrics.Describe(ev)
	if got.Instruments[0].Name != "exports_total" {
		t.Error("Define kept the caller's slices")
	}
	if !got.EndsRun {
		t.Error("Describe lost the defined event's EndsRun")
	}
	rec := metrics.NewRecorder()
	rec.Emit(context.Background(), ev, metrics.Payload{Duration: time.Second, Rows: 9})
	if rec.Count(ev) != 1 {
		t.Error("Recorder ignored a defined event")
	}
}

func containsEvent(evs []metrics.Event, ev metrics.Event) bool {
	for _, e := range evs {
		if e == ev {
			return true
		}
	}
	return false
}

func TestDefineRejectsInvalidDescriptors(t *testing.T) {
	if _, err := defineExport(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(d *metrics.Descriptor){
		"reserved":          func(d *metrics.Descriptor) { d.Event = 21; d.Wire = "x.a" },
		"already":           func(d *metrics.Descriptor) { d.Wire = "export.other" },
		"already used":      func(d *metrics.Descriptor) { d.Event = 1002; d.Wire = "write.started" },
		"dotted snake_case": func(d *metrics.Descriptor) { d.Event = 1003; d.Wire = "Export" },
		"at least one":      func(d *metrics.Descriptor) { d.Event = 1004; d.Wire = "x.b"; d.Instruments = nil },
		"does not carry":    func(d *metrics.Descriptor) { d.Event = 1005; d.Wire = "x.c"; d.Keys = d.Keys[1:] },
		"strictly increasing": func(d *metrics.Descriptor) {
			d.Event = 1006
			d.Wire = "x.d"
			d.Instruments[1].Buckets = []float64{1, 1}
		},
		"declared differently": func(d *metrics.Descriptor) {
			d.Event = 1007
			d.Wire = "x.e"
			d.Instruments[0].Name = "writes_started_total"
		},
		"ends in _total": func(d *metrics.Descriptor) { d.Event = 1008; d.Wire = "x.f"; d.Instruments[0].Name = "exports" },
		"listed twice": func(d *metrics.Descriptor) {
			d.Event = 1009
			d.Wire = "x.g"
			d.Keys = append(d.Keys, metrics.KeyDuration)
		},
	}
	for want, mutate := range cases {
		d := exportDescriptor()
		mutate(&d)
		ev, err := metrics.Define(d)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Define = %d, %v; want an error containing %q", want, ev, err, want)
		}
		if err != nil && ev.Known() && ev != 0 {
			t.Errorf("%s: a rejected event entered the catalog", want)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustDefine of an invalid descriptor did not panic")
			}
		}()
		metrics.MustDefine(metrics.Descriptor{})
	}()
}
