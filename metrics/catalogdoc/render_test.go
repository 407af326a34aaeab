package catalogdoc_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/catalogdoc"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestCheckedInPageIsCurrent fails when docs/events.md no longer matches the
// built-in catalog; run `go generate ./...` from the module root to refresh
// it.
func TestCheckedInPageIsCurrent(t *testing.T) {
	if err := catalogdoc.Check(shardyfusion.Catalog, "../../docs/events.md"); err != nil {
		t.Fatal(err)
	}
}

func TestPageNamesEveryEventInstrumentAndLabel(t *testing.T) {
	for _, cat := range []*metrics.Catalog{shardyfusion.Catalog, collectortest.Catalog} {
		page := string(catalogdoc.Render(cat))
		for _, d := range cat.Descriptors() {
			if !strings.Contains(page, "`"+d.Wire+"`") {
				t.Errorf("%s: page lacks event %s", cat, d.Wire)
			}
			if d.Message != "" && !strings.Contains(page, d.Message) {
				t.Errorf("%s: page lacks the message of %s", cat, d.Wire)
			}
			for _, in := range d.Instruments {
				if !strings.Contains(page, "`"+cat.PromPrefix()+in.Name+"`") {
					t.Errorf("%s: page lacks instrument %s", cat, in.Name)
				}
			}
			for _, f := range d.Fields {
				if f.IsLabel() && !strings.Contains(page, "| `"+f.Name+"` |") {
					t.Errorf("%s: page lacks label %s", cat, f.Name)
				}
			}
		}
	}
	page := string(catalogdoc.Render(collectortest.Catalog))
	if !strings.Contains(page, "`ok`, `error`, `cancelled`") || !strings.Contains(page, "at most 4 distinct values") {
		t.Errorf("the labels table lacks a closed set or a cap:\n%s", page)
	}
	if !strings.Contains(page, "`collectortest_samples_total` | `collectortest.samples` | counter | `status`, `kind`") {
		t.Errorf("the instruments table lacks the labels and OTel name of samples_total:\n%s", page)
	}
}

func TestWriteThenCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.md")
	if err := catalogdoc.Check(collectortest.Catalog, path); err == nil {
		t.Error("Check passed on a missing file")
	}
	if err := catalogdoc.Write(collectortest.Catalog, path); err != nil {
		t.Fatal(err)
	}
	if err := catalogdoc.Check(collectortest.Catalog, path); err != nil {
		t.Errorf("Check after Write: %v", err)
	}
	if err := os.WriteFile(path, []byte("# stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := catalogdoc.Check(collectortest.Catalog, path); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Errorf("Check on a stale page: %v", err)
	}
}

var levelCatalog = metrics.MustNewCatalog("catalogdoc_level_test")

type stepEnded struct {
	Status string `milestone:"status,label,values=success|retried|error"`
}

var _ = metrics.MustDeclare[stepEnded](levelCatalog, metrics.Spec{
	Code: 1, Wire: "step", Group: "step", Help: "A step ended.",
	LevelBy: "status", Levels: map[string]slog.Level{"error": slog.LevelError, "retried": slog.LevelWarn},
	Instruments: []metrics.Instrument{metrics.Count("steps_total", "Steps.", "status")},
})

// TestPageShowsLevelsByValue: an event whose level follows a label value
// lists those levels, in the label's order.
func TestPageShowsLevelsByValue(t *testing.T) {
	page := string(catalogdoc.Render(levelCatalog))
	if want := "| INFO; status=retried: WARN; status=error: ERROR |"; !strings.Contains(page, want) {
		t.Errorf("page lacks %q:\n%s", want, page)
	}
}
