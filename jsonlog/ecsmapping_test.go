package jsonlog

import (
	"log/slog"
	"testing"
)

func TestECSMisfit(t *testing.T) {
	for _, tc := range []struct {
		key, val string
		misfit   bool
	}{
		{"run_id", `"x"`, false},
		{"host", `"web-1"`, true},
		{"host.name", `"web-1"`, false},
		{"host.name", `{"a":1}`, true},
		{"host.name", `["a","b"]`, false},
		{"host.name.first", `"x"`, true},
		{"host.custom", `"x"`, false},
		{"process.pid", `42`, false},
		{"process.pid", `"42"`, false},
		{"process.pid", `"x"`, true},
		{"process.pid", `1.5`, false},
		{"process.pid", `9223372036854775808`, true},
		{"process.pid", `true`, true},
		{"process.pid", `"NaN"`, true},
		{"process.pid", `"0x10"`, true},
		{"process.pid", `"+0"`, true},
		{"event.created", `"+5"`, true},
		{"event.duration", `"+Inf"`, true},
		{"http.response.status_code", `1e300`, true},
		{"host.ip", `"10.0.0.1"`, false},
		{"host.ip", `"fe80::1%eth0"`, true},
		{"host.ip", `"web"`, true},
		{"host.ip", `["10.0.0.1","::1"]`, false},
		{"host.ip", `["10.0.0.1","x"]`, true},
		{"event.created", `"2026-03-14T10:30:00Z"`, false},
		{"event.created", `"2026-03-14"`, false},
		{"event.created", `1710412200000`, false},
		{"event.created", `"yesterday"`, true},
		{"event.created", `true`, true},
		{"user.changes.entity.behavior", `7`, true},
		{"error", `"x"`, true},
		{"labels", `"x"`, true},
		{"labels.team", `"x"`, false},
		{"tags", `["a","b"]`, false},
		{"tags.x", `"a"`, true},
		{"host.name", `null`, false},
		{"source.geo.location", `"41.1,-71.3"`, false},
		{"source.geo.location", `7`, true},
	} {
		if got := ecsMisfit(tc.key, []byte(tc.val)); got != tc.misfit {
			t.Errorf("ecsMisfit(%s, %s) = %v, want %v", tc.key, tc.val, got, tc.misfit)
		}
	}
}

// TestECSFieldsDerivesPrefixes: the table built from ecsFieldList holds
// every dotted prefix of a field as an object, and no multi-field.
func TestECSFieldsDerivesPrefixes(t *testing.T) {
	for key, want := range map[string]ecsClass{
		"host": ecsObject, "host.os": ecsObject, "host.os.name": ecsKeyword, "host.ip": ecsIP,
		"labels": ecsObject, "message": ecsKeyword, "user.name.text": ecsNone,
	} {
		if got := ecsFields[key]; got != want {
			t.Errorf("ecsFields[%q] = %d, want %d", key, got, want)
		}
	}
	if len(ecsRootNames) < 40 || ecsRootNames[0] != "@timestamp" {
		t.Errorf("ecsRootNames = %v", ecsRootNames)
	}
}

func TestCleanKey(t *testing.T) {
	for in, want := range map[string]string{
		"a": "a", "": "_", " ": "_", "a..b": "a._.b", ".a": "_.a", "a.": "a._", "a. .b": "a._.b", "\u3000": "_", "é": "é",
	} {
		if got := cleanKey(in); got != want {
			t.Errorf("cleanKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestECSTopLeafTakenSeesEveryRoot: the first-segment filter lets every
// ECS root and written key through to the exact check.
func TestECSTopLeafTakenSeesEveryRoot(t *testing.T) {
	for _, root := range append(ecsRootNames[:len(ecsRootNames):len(ecsRootNames)], "@timestamp", "log", "message", "ecs", "service", truncatedKey) {
		if len(root) >= 64 {
			t.Fatalf("root %q is too long for the filter", root)
		}
		if !ecsTopLeafTaken(root+".zz.x", slog.GroupValue()) && !ecsTopLeafTaken(root, slog.GroupValue()) {
			t.Errorf("ecsTopLeafTaken lets %s through", root)
		}
	}
	if ecsTopLeafTaken("run_id", slog.StringValue("x")) || ecsTopLeafTaken("hostname", slog.StringValue("x")) {
		t.Error("ecsTopLeafTaken refuses a key outside ECS")
	}
}

func TestRawKeysIndexable(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"a":1,"b":{"c":[1,{"d":2}]}}`: true,
		`[{"a":1},{"a":2}]`:             true,
		`{"a":1,"a":2}`:                 false,
		`{"a.b":1}`:                     false,
		`{" ":1}`:                       false,
		`{"":1}`:                        false,
		`{"a":{"b":1,"b":2}}`:           false,
		`{"a":[{"":1}]}`:                false,
		`{"a":"b.c","d":"e"}`:           true,
	} {
		if got := rawKeysIndexable([]byte(raw)); got != want {
			t.Errorf("rawKeysIndexable(%s) = %v, want %v", raw, got, want)
		}
	}
}
