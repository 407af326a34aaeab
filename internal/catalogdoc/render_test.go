package catalogdoc

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics"
)

// TestCheckedInPageIsCurrent fails when docs/events.md no longer matches the
// catalog; run `go generate ./...` from the module root to refresh it.
func TestCheckedInPageIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatalf("read docs/events.md: %v (run go generate ./...)", err)
	}
	if want := Render(); !bytes.Equal(got, want) {
		t.Fatal("docs/events.md is stale: run `go generate ./...` from the module root and commit the result")
	}
}

func TestPageNamesEveryEventAndInstrument(t *testing.T) {
	page := string(Render())
	for _, ev := range metrics.Events() {
		d, _ := metrics.Describe(ev)
		if !strings.Contains(page, "`"+d.Wire+"`") {
			t.Errorf("page lacks event %s", d.Wire)
		}
		for _, in := range d.Instruments {
			if !strings.Contains(page, "`"+DefaultPrefix+in.Name+"`") {
				t.Errorf("page lacks instrument %s", in.Name)
			}
		}
	}
}
