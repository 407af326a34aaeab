package collectortest

import (
	"sync"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// Catalog is the suite's own catalog (namespace "collectortest"): events
// with every field kind, plain strings and labels (a closed set and a cap),
// so that a collector bound to one catalog can be run on it too:
//
//	collectortest.Run(t, func() metrics.Collector {
//		c, _ := prom.New(prom.WithRegisterer(prometheus.NewRegistry()), prom.WithCatalog(collectortest.Catalog))
//		return c
//	})
var Catalog = metrics.MustNewCatalog("collectortest")

// Sample is the suite's event with one field of every kind: two labels (a
// closed set and a cap of KindCap values) and a plain string.
type Sample struct {
	Elapsed  time.Duration `milestone:"elapsed_ms,elapsed"`
	Duration time.Duration `milestone:"duration_ms,duration"`
	Count    int64
	Ratio    float64
	OK       bool   `milestone:"ok"`
	Status   string `milestone:"status,label,values=ok|error|cancelled"`
	Kind     string `milestone:"kind,label,cap=4"`
	Note     string
}

// KindCap is the cap of Sample's kind label.
const KindCap = 4

// Empty is the suite's event with no field.
type Empty struct{}

// SampleEvent and EmptyEvent are the declarations of Sample and Empty.
var (
	SampleEvent = metrics.MustDeclare[Sample](Catalog, metrics.Spec{
		Code: 1, Wire: "sample.emitted", Group: "sample",
		Help: "A sample of every field kind.", Message: "sample {status}/{kind}: {count} in {duration_ms} ms ({note})",
		Instruments: []metrics.Instrument{
			metrics.Count("samples_total", "Samples emitted.", "status", "kind"),
			metrics.Sum("sample_count_total", "The sum of the samples' counts.", "count", "status"),
			metrics.CountIf("sample_ok_total", "Samples with ok set.", "ok", true),
			metrics.Hist("sample_duration_seconds", "Sample durations, in seconds.", "duration_ms", metrics.BucketsStep, "status"),
		},
	})
	EmptyEvent = metrics.MustDeclare[Empty](Catalog, metrics.Spec{
		Code: 2, Wire: "sample.empty", Group: "sample", EndsRun: true,
		Help:        "An event with no field.",
		Instruments: []metrics.Instrument{metrics.Count("empties_total", "Empty events emitted.")},
	})
)

// Late is the suite's event that is declared only when DeclareLate is first
// called, at run time: the event a collector built before then must ignore
// and count (metrics.IgnoredDeclaredAfter).
type Late struct {
	Count int64
}

// DeclareLate declares Late in Catalog the first time it is called and
// reports whether this call declared it; later calls only return its
// declaration.
func DeclareLate() (*metrics.EventType[Late], bool) {
	first := false
	lateOnce.Do(func() {
		first = true
		lateEvent = metrics.MustDeclare[Late](Catalog, metrics.Spec{
			Code: 3, Wire: "sample.late", Group: "sample",
			Help:        "An event declared after the collectors were built.",
			Instruments: []metrics.Instrument{metrics.Sum("late_count_total", "The sum of the late events' counts.", "count")},
		})
	})
	return lateEvent, first
}

var (
	lateOnce  sync.Once
	lateEvent *metrics.EventType[Late]
)
