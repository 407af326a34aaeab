package runsummary

import (
	"reflect"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics"
)

// TestRecordDecodesEveryCatalogKey keeps the summary's reading of the file
// in step with the catalog: every payload key an event carries has a field
// of record to decode it into.
func TestRecordDecodesEveryCatalogKey(t *testing.T) {
	decoded := map[string]bool{}
	rt := reflect.TypeFor[record]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		decoded[name] = true
	}
	for _, ev := range metrics.Events() {
		for _, k := range ev.Keys() {
			if !decoded[k.String()] {
				t.Errorf("%s carries %s, which runsummary does not decode", ev, k)
			}
		}
	}
}
