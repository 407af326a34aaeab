package runs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestRecordDecodesEveryCatalogKey keeps the sharded-KV sections' reading
// of the file in step with the built-in catalog: every field a built-in
// event carries has a field of record to decode it into.
func TestRecordDecodesEveryCatalogKey(t *testing.T) {
	decoded := map[string]bool{}
	rt := reflect.TypeFor[record]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		decoded[name] = true
	}
	for _, d := range shardyfusion.Catalog.Descriptors() {
		for _, f := range d.Fields {
			if !decoded[f.Name] {
				t.Errorf("%s carries %s, which runsummary does not decode", d.Wire, f.Name)
			}
		}
	}
}
