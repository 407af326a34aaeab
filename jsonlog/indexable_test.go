package jsonlog

// This file is the test suite's own reading of what Elasticsearch and the
// ECS index template accept, built from the reference data beside the
// repository (third_party/ecs: spec.json, the ECS logging spec, and
// fields.csv, the ECS field reference) independently of the handler's
// generated table, so that a line the handler thinks fine is checked by a
// second implementation of the rules.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// esReference is what the checker reads from third_party/ecs.
type esReference struct {
	ordered   []string          // spec fields with an index, in that order
	required  []string          // spec fields marked required
	topLevel  []string          // spec fields that must be top-level dotted keys
	labelRepl string            // characters the spec replaces in label keys
	types     map[string]string // fields.csv: field → mapping type ("object" for every prefix)
}

var loadReference = sync.OnceValues(func() (*esReference, error) {
	dir := filepath.Join("..", "third_party", "ecs")
	specText, err := os.ReadFile(filepath.Join(dir, "spec.json"))
	if err != nil {
		return nil, err
	}
	var spec struct {
		Fields map[string]struct {
			Required     bool `json:"required"`
			Index        *int `json:"index"`
			TopLevel     bool `json:"top_level_field"`
			Sanitization struct {
				Key struct {
					Replacements []string `json:"replacements"`
				} `json:"key"`
			} `json:"sanitization"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(specText, &spec); err != nil {
		return nil, fmt.Errorf("spec.json: %w", err)
	}
	ref := &esReference{types: map[string]string{}}
	for name, f := range spec.Fields {
		if f.Index != nil {
			ref.ordered = append(ref.ordered, name)
		}
		if f.Required {
			ref.required = append(ref.required, name)
		}
		if f.TopLevel {
			ref.topLevel = append(ref.topLevel, name)
		}
		if name == "labels" {
			ref.labelRepl = strings.Join(f.Sanitization.Key.Replacements, "")
		}
	}
	sort.Slice(ref.ordered, func(i, j int) bool {
		return *spec.Fields[ref.ordered[i]].Index < *spec.Fields[ref.ordered[j]].Index
	})
	f, err := os.Open(filepath.Join(dir, "fields.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("fields.csv: %w", err)
	}
	for _, row := range rows[1:] {
		ref.types[row[3]] = row[4]
	}
	for name := range ref.types {
		parts := strings.Split(name, ".")
		for i := 1; i < len(parts); i++ {
			p := strings.Join(parts[:i], ".")
			if _, ok := ref.types[p]; !ok {
				ref.types[p] = "object"
			}
		}
	}
	return ref, nil
})

// leafValue is one value of a line: its dotted path and JSON text.
type leafValue struct {
	path string
	raw  json.RawMessage
}

// indexable returns why Elasticsearch would reject line (in ECS, an index
// with the ECS template), or nil. It needs the reference data; ok is false
// when it is not beside the repository.
func indexable(line string, format Format) (problem error, ok bool) {
	ref, err := loadReference()
	if err != nil {
		return fmt.Errorf("reading the ECS reference in third_party/ecs: %w", err), true
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &top); err != nil {
		return err, true
	}
	var leaves []leafValue
	if err := collectLeaves(json.RawMessage(line), "", &leaves); err != nil {
		return err, true
	}
	byPath := map[string]json.RawMessage{}
	for _, l := range leaves {
		for _, seg := range strings.Split(l.path, ".") {
			if strings.TrimFunc(seg, unicode.IsSpace) == "" {
				return fmt.Errorf("field name %q has an empty or blank segment", l.path), true
			}
		}
		if _, dup := byPath[l.path]; dup {
			return fmt.Errorf("two values at the path %s", l.path), true
		}
		byPath[l.path] = l.raw
	}
	for p := range byPath {
		for i := 0; i < len(p); i++ {
			if _, isLeaf := byPath[p[:i]]; p[i] == '.' && isLeaf {
				return fmt.Errorf("%s is a value and the parent of %s", p[:i], p), true
			}
		}
	}
	if format != ECS {
		return nil, true
	}
	return ref.checkECS(line, top, byPath), true
}

// collectLeaves appends the values of the JSON value raw under path,
// objects read as Elasticsearch reads them (a key "a.b" is the path a, b),
// failing on a key repeated in one object.
func collectLeaves(raw json.RawMessage, path string, dst *[]leafValue) error {
	if len(raw) == 0 || raw[0] != '{' {
		*dst = append(*dst, leafValue{path, raw})
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.Token() // '{'
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k := tok.(string)
		if seen[k] {
			return fmt.Errorf("key %q twice in one object", k)
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		p := k
		if path != "" {
			p = path + "." + k
		}
		if err := collectLeaves(v, p, dst); err != nil {
			return err
		}
	}
	return nil
}

// checkECS checks the ECS logging spec's layout and the ECS mapping.
func (ref *esReference) checkECS(line string, top map[string]json.RawMessage, byPath map[string]json.RawMessage) error {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.Token()
	var order []string
	for dec.More() {
		tok, _ := dec.Token()
		order = append(order, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	i := 0
	for _, name := range ref.ordered {
		if _, present := top[name]; !present {
			continue
		}
		if i >= len(order) || order[i] != name {
			return fmt.Errorf("spec field %s is not at position %d: keys %v", name, i, order)
		}
		i++
	}
	for _, name := range ref.required {
		if _, present := top[name]; !present && name != "@timestamp" { // slog: a zero time writes none
			return fmt.Errorf("required spec field %s missing", name)
		}
	}
	for _, name := range ref.topLevel {
		if _, present := byPath[name]; present {
			if _, dotted := top[name]; !dotted {
				return fmt.Errorf("spec field %s is not a top-level dotted key", name)
			}
		}
	}
	for p, raw := range byPath {
		if rest, isLabel := strings.CutPrefix(p, "labels."); isLabel && strings.ContainsAny(rest, ref.labelRepl) {
			return fmt.Errorf("label key %s holds one of %q", p, ref.labelRepl)
		}
		parts := strings.Split(p, ".")
		for j := 1; j < len(parts); j++ {
			switch typ := ref.types[strings.Join(parts[:j], ".")]; typ {
			case "", "flattened":
				j = len(parts)
			case "object", "nested":
			default:
				return fmt.Errorf("%s is under the ECS %s field %s", p, typ, strings.Join(parts[:j], "."))
			}
		}
		if typ, ecs := ref.types[p]; ecs && !mappingAccepts(typ, raw) {
			return fmt.Errorf("ECS %s field %s cannot hold %s", typ, p, raw)
		}
	}
	return nil
}

// decimalText is a number as JSON writes it.
var decimalText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// mappingAccepts reports whether Elasticsearch indexes raw into a field
// of the mapping type typ (with its default coercion).
func mappingAccepts(typ string, raw json.RawMessage) bool {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return false
	}
	if v == nil {
		return true
	}
	if arr, isArr := v.([]any); isArr && typ != "geo_point" {
		for _, e := range arr {
			b, _ := json.Marshal(e)
			if !mappingAccepts(typ, b) {
				return false
			}
		}
		return true
	}
	number := func() (float64, bool) {
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = x
		default:
			return 0, false
		}
		if !decimalText.MatchString(s) {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	switch typ {
	case "object", "nested":
		return false
	case "flattened":
		_, isObj := v.(map[string]any)
		return isObj
	case "keyword", "constant_keyword", "wildcard", "match_only_text", "text":
		_, isObj := v.(map[string]any)
		return !isObj
	case "long", "integer":
		f, ok := number()
		limit := math.Pow(2, 63)
		if typ == "integer" {
			limit = math.Pow(2, 31)
		}
		f = math.Trunc(f)
		return ok && f >= -limit && f < limit
	case "float", "double", "scaled_float", "half_float":
		_, ok := number()
		return ok
	case "boolean":
		switch x := v.(type) {
		case bool:
			return true
		case string:
			return x == "true" || x == "false" || x == ""
		}
		return false
	case "date":
		switch x := v.(type) {
		case json.Number:
			_, err := x.Int64()
			return err == nil
		case string:
			if _, err := strconv.ParseInt(x, 10, 64); err == nil {
				return true
			}
			_, err := time.Parse(time.RFC3339Nano, x)
			return err == nil
		}
		return false
	case "ip":
		s, isStr := v.(string)
		return isStr && net.ParseIP(s) != nil
	case "geo_point":
		switch v.(type) {
		case string, map[string]any, []any:
			return true
		}
		return false
	}
	return false
}

// TestIndexableCatchesRejectedLines: the checker itself finds what
// Elasticsearch rejects, so that a line it passes means something.
func TestIndexableCatchesRejectedLines(t *testing.T) {
	if problem, _ := indexable("{}\n", Flat); problem != nil {
		t.Fatal(problem)
	}
	const head = `{"@timestamp":"2026-03-14T10:30:00Z","log.level":"INFO","message":"m","ecs.version":"8.11.0",`
	for _, tc := range []struct {
		format Format
		line   string
	}{
		{Flat, `{"error":"x","error.message":"y"}`},
		{Flat, `{"a":{"b":1},"a.b":2}`},
		{Flat, `{"a":1,"a":2}`},
		{Flat, `{"":1}`},
		{Flat, `{"a..b":1}`},
		{Flat, `{" ":1}`},
		{ECS, `{"log.level":"INFO","@timestamp":"2026-03-14T10:30:00Z","message":"m","ecs.version":"8.11.0"}`},
		{ECS, `{"@timestamp":"2026-03-14T10:30:00Z","message":"m","ecs.version":"8.11.0"}`},
		{ECS, `{"@timestamp":"2026-03-14T10:30:00Z","log":{"level":"INFO"},"message":"m","ecs.version":"8.11.0"}`},
		{ECS, head + `"host":"web-1"}`},
		{ECS, head + `"event":"x"}`},
		{ECS, head + `"user":42}`},
		{ECS, head + `"labels":"x"}`},
		{ECS, head + `"labels.a.b":"x"}`},
		{ECS, head + `"error":"a string"}`},
		{ECS, head + `"host.name.first":"x"}`},
		{ECS, head + `"process.pid":"abc"}`},
		{ECS, head + `"process.pid":true}`},
		{ECS, head + `"event.duration":"NaN"}`},
		{ECS, head + `"host.ip":"not-an-ip"}`},
		{ECS, head + `"event.created":"yesterday"}`},
		{ECS, head + `"host.name":{"a":1}}`},
	} {
		problem, _ := indexable(tc.line+"\n", tc.format)
		if problem == nil {
			t.Errorf("%s line passed the checker: %s", tc.format, tc.line)
		}
	}
	for _, good := range []string{
		head + `"host.name":"web-1","process.pid":42,"event.duration":"12","host.ip":["10.0.0.1","::1"],"labels.a_b":"x","event.created":"2026-03-14T10:30:00Z","x":{"y":1},"x.z":2}`,
	} {
		if problem, _ := indexable(good+"\n", ECS); problem != nil {
			t.Errorf("a good line failed the checker: %v\n%s", problem, good)
		}
	}
}
