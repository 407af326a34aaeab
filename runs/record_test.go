package runs

import (
	"strings"
	"testing"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestRecordDecodesEveryCatalogKey keeps the sharded-KV sections' reading
// of the file in step with the built-in catalog: every field a built-in
// event carries is a key record decodes (given an object where its value
// should be, decode refuses it; a key it does not know it leaves alone).
func TestRecordDecodesEveryCatalogKey(t *testing.T) {
	var r record
	if err := r.decode([]jsonscan.Member{{Key: "not_a_record_key", Raw: []byte("{}")}}); err != nil {
		t.Fatalf("an unknown key: %v", err)
	}
	for _, d := range shardyfusion.Catalog.Descriptors() {
		for _, f := range d.Fields {
			var r record
			err := r.decode([]jsonscan.Member{{Key: f.Name, Raw: []byte("{}")}})
			if err == nil || !strings.Contains(err.Error(), "cannot unmarshal object") {
				t.Errorf("%s carries %s, which record does not decode (%v)", d.Wire, f.Name, err)
			}
		}
	}
}

// TestRecordRefusesWhatEncodingJSONRefuses: a value of the wrong JSON type
// for a key record knows is an error naming the key; null is as if absent.
func TestRecordRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for raw, ok := range map[string]bool{`"3"`: false, `3.5`: false, `1e3`: false, `true`: false, `null`: true, `-7`: true} {
		var r record
		err := r.decode([]jsonscan.Member{{Key: "db_id", Raw: []byte(raw)}})
		if (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "db_id")) {
			t.Errorf("db_id %s: %v", raw, err)
		}
		if raw == "-7" && (r.DBID == nil || *r.DBID != -7) || raw == "null" && r.DBID != nil {
			t.Errorf("db_id %s decoded as %v", raw, r.DBID)
		}
	}
	for raw, ok := range map[string]bool{`NaN`: false, `"1"`: false, `12.5`: true, `-1e-3`: true} {
		var r record
		if err := r.decode([]jsonscan.Member{{Key: "duration_ms", Raw: []byte(raw)}}); (err == nil) != ok {
			t.Errorf("duration_ms %s: %v", raw, err)
		}
	}
}
