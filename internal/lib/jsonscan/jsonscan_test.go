package jsonscan_test

import (
	"strings"
	"testing"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
)

func TestObject(t *testing.T) {
	line := []byte(`{"event":"x.y","ts":"2026-01-01T00:00:00Z","n":-1.5e3, "ok":true,"z":null,"arr":["a,}",{"b":[1]}],"esc":"a\"b\\c\u00e9","":""}`)
	m, err := jsonscan.Object(nil, line)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range m {
		keys = append(keys, kv.Key+"="+string(kv.Raw))
	}
	want := `event="x.y"|ts="2026-01-01T00:00:00Z"|n=-1.5e3|ok=true|z=null|arr=["a,}",{"b":[1]}]|esc="a\"b\\c\u00e9"|=""`
	if got := strings.Join(keys, "|"); got != want {
		t.Errorf("members\n%s\nwant\n%s", got, want)
	}
	raw, _ := jsonscan.Get(m, "esc")
	if s, ok := jsonscan.Str(raw); !ok || s != "a\"b\\cé" {
		t.Errorf("Str(esc) = %q %v", s, ok)
	}
	if _, ok := jsonscan.Get(m, "missing"); ok {
		t.Error("Get of a missing key")
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":1`, `{"a":"x}`, `{"a":1 "b":2}`, `{a:1}`} {
		if _, err := jsonscan.Object(nil, []byte(bad)); err == nil {
			t.Errorf("Object(%q) accepted", bad)
		}
	}
	if m, err := jsonscan.Object(nil, []byte(" { } ")); err != nil || len(m) != 0 {
		t.Errorf("an empty object: %v %v", m, err)
	}
}

func TestArray(t *testing.T) {
	a, err := jsonscan.Array(nil, []byte(` ["a,]", 1.5 ,{"b":[1,2]},[],null,"\"" ]`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range a {
		got = append(got, string(e))
	}
	if want := `"a,]"|1.5|{"b":[1,2]}|[]|null|"\""`; strings.Join(got, "|") != want {
		t.Errorf("elements\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if a, err := jsonscan.Array(a[:0], []byte("[ ]")); err != nil || len(a) != 0 {
		t.Errorf("an empty array: %q %v", a, err)
	}
	for _, bad := range []string{``, `{}`, `[1`, `[1 2]`, `[,]`, `["x]`} {
		if _, err := jsonscan.Array(nil, []byte(bad)); err == nil {
			t.Errorf("Array(%q) accepted", bad)
		}
	}
}

func BenchmarkObject(b *testing.B) {
	line := []byte(`{"event":"write.batch_written","ts":"2026-12-06T08:18:05.779Z","run_id":"profiled","trace_id":"f1a4b794fbdcccd24fb3cda790791716","span_id":"69850843ea737dd8","parent_span_id":"daa7d86177bd4a1e","elapsed_ms":9.927943,"db_id":0,"batch_size":750}`)
	var m []jsonscan.Member
	b.ReportAllocs()
	for range b.N {
		m, _ = jsonscan.Object(m[:0], line)
	}
}
