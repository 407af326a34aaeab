package jsonlog

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

var fixedTime = time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedTime }

// checkObject decodes one JSON object from dec, failing on a duplicate key
// at any depth, and returns it with its keys in order.
func checkObject(dec *json.Decoder) (map[string]any, []string, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("want an object, got %v", tok)
	}
	return checkMembers(dec)
}

func checkMembers(dec *json.Decoder) (map[string]any, []string, error) {
	m := map[string]any{}
	var order []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k := tok.(string)
		if _, dup := m[k]; dup {
			return nil, nil, fmt.Errorf("duplicate key %q", k)
		}
		order = append(order, k)
		v, err := checkValue(dec)
		if err != nil {
			return nil, nil, err
		}
		m[k] = v
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, nil, err
	}
	return m, order, nil
}

func checkValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch d := tok.(type) {
	case json.Delim:
		switch d {
		case '{':
			m, _, err := checkMembers(dec)
			return m, err
		case '[':
			var arr []any
			for dec.More() {
				v, err := checkValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
	}
	return tok, nil
}

// parseLine checks that line is exactly one valid JSON object without a
// duplicate key, ending with a newline and containing no other newline.
func parseLine(line string) (map[string]any, []string, error) {
	if !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		return nil, nil, fmt.Errorf("not exactly one newline-terminated line: %q", line)
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	m, order, err := checkObject(dec)
	if err != nil {
		return nil, nil, fmt.Errorf("%v in %s", err, line)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("trailing data after the object in %s", line)
	}
	return m, order, nil
}

// ecsConflict returns a key of m that is a dotted prefix of another key.
func ecsConflict(order []string) string {
	set := map[string]bool{}
	for _, k := range order {
		set[k] = true
	}
	for _, k := range order {
		for i := 0; i < len(k); i++ {
			if k[i] == '.' && set[k[:i]] {
				return k[:i]
			}
		}
	}
	return ""
}

// lines parses every line of out.
func lines(t testing.TB, out string, format Format) []map[string]any {
	t.Helper()
	var res []map[string]any
	for _, l := range strings.SplitAfter(out, "\n") {
		if l == "" {
			continue
		}
		m, order, err := parseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		if format == ECS {
			if c := ecsConflict(order); c != "" {
				t.Fatalf("ECS key %q is both a value and a prefix in %s", c, l)
			}
		}
		if problem, _ := indexable(l, format); problem != nil {
			t.Fatalf("Elasticsearch would reject this %s line: %v\n%s", format, problem, l)
		}
		res = append(res, m)
	}
	return res
}

func one(t testing.TB, out string, format Format) map[string]any {
	t.Helper()
	ls := lines(t, out, format)
	if len(ls) != 1 {
		t.Fatalf("want one line, got %d: %s", len(ls), out)
	}
	return ls[0]
}

func num(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	return fmt.Sprint(v)
}
