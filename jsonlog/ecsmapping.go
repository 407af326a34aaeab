package jsonlog

// This file applies the ECS mapping (the table generated from the ECS field
// reference, ecsfields_gen.go): which fields are objects, which are leaves,
// and which values each leaf type accepts.

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// processECS applies the ECS key rules to the fields of a line and returns
// them with the number of fields whose key it changed. Of fields sharing a
// key, the last is kept. Blank key segments become "_" (cleanKey). A key the format writes itself, or one whose field
// does not fit the ECS mapping, is moved under renamePrefix; a key under
// "labels." has its inner dots, stars and backslashes replaced by '_'; a key
// that is both a value and a dotted prefix of another key gets leafSuffix;
// and a key changed into one the line already has gets renamePrefix again,
// so that no field is lost.
func processECS(list []kv) ([]kv, int) {
	list = dedupLast(list, kvKey)
	orig := make([]string, len(list))
	for i := range list {
		orig[i] = list[i].key
		k := cleanKey(list[i].key)
		list[i].key = k
		switch {
		case reservedECS(k):
			list[i].key = renamePrefix + k
		case strings.HasPrefix(k, "labels."): // a label is one keyword
			list[i].key = ecsLabelKey(k)
			list[i].val = settleAny(list[i].val)
			if v := jsonText(list[i].val); len(v) > 0 && (v[0] == '{' || v[0] == '[' && bytes.IndexByte(v, '{') >= 0) {
				list[i].key = renamePrefix + k
			}
		default:
			root, _, _ := strings.Cut(k, ".")
			if !ecsRoot(root) {
				continue
			}
			list[i].val = settleAny(list[i].val)
			if ecsMisfit(k, jsonText(list[i].val)) {
				list[i].key = renamePrefix + k
			}
		}
	}
	uniqueKeys(list)
	for iter := 0; iter <= 2*len(list); iter++ {
		prefixes := map[string]bool{}
		for _, x := range list {
			for j := 0; j < len(x.key); j++ {
				if x.key[j] == '.' {
					prefixes[x.key[:j]] = true
				}
			}
		}
		changed := false
		for i := range list {
			if prefixes[list[i].key] {
				list[i].key += leafSuffix
				changed = true
			}
		}
		if !changed {
			break
		}
		uniqueKeys(list)
	}
	renamed := 0
	for i := range list {
		if list[i].key != orig[i] {
			renamed++
		}
	}
	return list, renamed
}

// uniqueKeys gives renamePrefix to every key equal to an earlier one, until
// it is not.
func uniqueKeys(list []kv) {
	taken := make(map[string]bool, len(list))
	for i := range list {
		for taken[list[i].key] {
			list[i].key = renamePrefix + list[i].key
		}
		taken[list[i].key] = true
	}
}

// ecsClass is the class of values an ECS field's mapping accepts.
type ecsClass uint8

const (
	ecsNone      ecsClass = iota // not an ECS field
	ecsObject                    // object or nested: children, never a value
	ecsFlattened                 // a flattened object: an object value or any children
	ecsKeyword                   // keyword, text and kin: any scalar
	ecsLong                      // a 64-bit integer, or a number string
	ecsInteger                   // a 32-bit integer, or a number string
	ecsFloat                     // a finite number, or a number string
	ecsDate                      // an RFC 3339 date, a date, or epoch milliseconds
	ecsBoolean                   // true, false, "true", "false" or ""
	ecsIP                        // an IPv4 or IPv6 address string
	ecsGeoPoint                  // a "lat,lon" string, a geohash, an object or an array
)

// ecsFields maps every ECS field a document can write, and every dotted
// prefix of one (an object), to the class of values its mapping accepts;
// ecsRootNames lists the first segments. Both are derived from the
// generated ecsFieldList.
var ecsFields, ecsRootNames = func() (map[string]ecsClass, []string) {
	fields := make(map[string]ecsClass, 4096)
	var roots []string
	for _, g := range ecsFieldList {
		if len(roots) == 0 || roots[len(roots)-1] != g.root {
			roots = append(roots, g.root)
		}
		if g.rests == "" {
			fields[g.root] = g.class
			continue
		}
		for _, rest := range strings.Fields(g.rests) {
			name := g.root + "." + rest
			fields[name] = g.class
			for i := len(g.root); i < len(name); i++ {
				if name[i] == '.' {
					if _, ok := fields[name[:i]]; !ok {
						fields[name[:i]] = ecsObject
					}
				}
			}
		}
	}
	return fields, roots
}()

// ecsMisfit reports whether a field the application logs under the full
// dotted key, with the JSON text val, would be rejected by an index
// mapped by ECS: a value where ECS has an object, a child of an ECS leaf,
// or a value its leaf's type does not accept.
func ecsMisfit(key string, val []byte) bool {
	root, _, _ := strings.Cut(key, ".")
	if !ecsRoot(root) {
		return false
	}
	for i := len(root); i < len(key); i++ {
		if key[i] != '.' {
			continue
		}
		switch ecsFields[key[:i]] {
		case ecsObject:
		case ecsNone, ecsFlattened:
			return false // beyond ECS, or inside a flattened object
		default:
			return true // a child of an ECS leaf
		}
	}
	c := ecsFields[key]
	return c != ecsNone && !c.accepts(val)
}

// ecsFastFits reports, without encoding v, whether a field under the full
// dotted key, with the scalar v, surely fits the ECS mapping; false sends
// the line to the general path, which decides on the JSON text.
func ecsFastFits(key string, v slog.Value) bool {
	for i := 0; i < len(key); i++ {
		if key[i] != '.' {
			continue
		}
		switch ecsFields[key[:i]] {
		case ecsObject:
		case ecsNone, ecsFlattened:
			return true
		default:
			return false
		}
	}
	switch ecsFields[key] {
	case ecsNone:
		return true
	case ecsKeyword:
		return v.Kind() != slog.KindAny && v.Kind() <= slog.KindUint64 // a scalar
	case ecsLong:
		return v.Kind() == slog.KindInt64 || v.Kind() == slog.KindDuration || (v.Kind() == slog.KindUint64 && v.Uint64() <= math.MaxInt64)
	case ecsInteger:
		return v.Kind() == slog.KindInt64 && v.Int64() >= math.MinInt32 && v.Int64() <= math.MaxInt32
	case ecsFloat:
		switch v.Kind() {
		case slog.KindInt64, slog.KindUint64, slog.KindDuration:
			return true
		case slog.KindFloat64:
			f := v.Float64()
			return !math.IsNaN(f) && !math.IsInf(f, 0)
		}
	case ecsBoolean:
		return v.Kind() == slog.KindBool
	case ecsDate:
		if v.Kind() == slog.KindTime {
			y := v.Time().UTC().Year()
			return y >= 0 && y <= 9999
		}
		return v.Kind() == slog.KindInt64
	}
	return false
}

// accepts reports whether the mapping of class c indexes the JSON value v.
func (c ecsClass) accepts(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	if string(v) == "null" {
		return true // Elasticsearch indexes nothing for null
	}
	switch c {
	case ecsObject:
		return false
	case ecsFlattened:
		return v[0] == '{'
	case ecsGeoPoint:
		return v[0] == '"' || v[0] == '{' || v[0] == '['
	}
	if v[0] == '[' { // an array of values, each of which must fit
		var elems []json.RawMessage
		if json.Unmarshal(v, &elems) != nil {
			return false
		}
		for _, e := range elems {
			if !c.accepts(e) {
				return false
			}
		}
		return true
	}
	if v[0] == '{' {
		return false
	}
	s, isStr := "", v[0] == '"'
	if isStr && json.Unmarshal(v, &s) != nil {
		return false
	}
	if !isStr {
		s = string(v)
	}
	switch c {
	case ecsKeyword:
		return true
	case ecsLong:
		return inIntRange(s, math.MinInt64, math.MaxInt64)
	case ecsInteger:
		return inIntRange(s, math.MinInt32, math.MaxInt32)
	case ecsFloat:
		return decimal(s)
	case ecsBoolean:
		return s == "true" || s == "false" || (isStr && s == "")
	case ecsDate:
		return isDate(s, isStr)
	case ecsIP:
		a, err := netip.ParseAddr(s)
		return isStr && err == nil && a.Zone() == ""
	}
	return false
}

// inIntRange reports whether s is a number whose integer part (numbers are
// truncated, as Elasticsearch coerces them) lies within [lo, hi].
func inIntRange(s string, lo, hi int64) bool {
	if !decimal(s) { // JSON's syntax: no "+1", which strconv takes
		return false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n >= lo && n <= hi
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false
	}
	f = math.Trunc(f)
	return f >= float64(lo) && f < -float64(lo) && f <= float64(hi)
}

// decimal reports whether s is a finite number in JSON's syntax: no NaN,
// Inf, hexadecimal or leading plus, which strconv would accept.
func decimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	i, ok := digits(s, i)
	if !ok {
		return false
	}
	if i < len(s) && s[i] == '.' {
		if i, ok = digits(s, i+1); !ok {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i, ok = digits(s, i); !ok {
			return false
		}
	}
	if i != len(s) {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsInf(f, 0)
}

// digits skips the decimal digits of s from i; ok is false when there are
// none.
func digits(s string, i int) (end int, ok bool) {
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i, i > start
}

// dateLayouts are the date strings accepted for an ECS date: what
// Elasticsearch's strict_date_optional_time parses, narrowed to forms Go
// parses the same way.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// isDate reports whether s is what an ECS date field's default format
// (strict_date_optional_time||epoch_millis) parses: a date string, or
// integer epoch milliseconds, as a number or a string.
func isDate(s string, isStr bool) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil && decimal(s) {
		return true
	}
	if !isStr {
		return false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil && t.Year() >= 0 && t.Year() <= 9999 {
			return true
		}
	}
	return false
}

// ecsLabelKey returns the key of a field under "labels." with the
// characters the ECS logging spec replaces in label keys ('.', '*' and
// '\\') replaced by '_', so that a label stays one keyword.
func ecsLabelKey(key string) string {
	const p = "labels."
	if !strings.HasPrefix(key, p) || !strings.ContainsAny(key[len(p):], `.*\`) {
		return key
	}
	b := []byte(key)
	for i := len(p); i < len(b); i++ {
		switch b[i] {
		case '.', '*', '\\':
			b[i] = '_'
		}
	}
	return string(b)
}

// kv is one ECS field: a full dotted key and a value that is not a group.
type kv struct {
	key string
	val slog.Value
}

func kvKey(x kv) string { return x.key }

// ecsNamespace reports whether a key's first segment seg is an ECS field's
// or one the ECS format writes itself: such a group's keys need the
// general path's checks.
func ecsNamespace(seg string) bool { return ecsFirstSegment(seg) || ecsRoot(seg) }

// ecsFirstSegments[c] has bit n set when a first segment of n bytes
// starting with c is an ECS field's or one the ECS format writes: a cheap
// test that rules out most keys before ecsTopLeafTaken's switches.
var ecsFirstSegments = func() (t [256]uint64) {
	for _, s := range append(ecsRootNames[:len(ecsRootNames):len(ecsRootNames)], "@timestamp", "log", "message", "ecs", "service", "trace", "span", truncatedKey) {
		if len(s) < 64 {
			t[s[0]] |= 1 << len(s)
		}
	}
	return t
}()

// ecsFirstSegment reports whether seg is the first segment of a key the ECS
// format writes itself.
func ecsFirstSegment(seg string) bool {
	switch seg {
	case "@timestamp", "log", "message", "ecs", "service", "trace", "span", truncatedKey:
		return true
	}
	return false
}

// reservedECS reports whether the full dotted key collides with a key the
// ECS format writes itself: equal to it, one of its parent objects, or a
// child of one of its values.
func reservedECS(key string) bool {
	first := key
	if i := strings.IndexByte(key, '.'); i >= 0 {
		first = key[:i]
	}
	if !ecsFirstSegment(first) {
		return false
	}
	if ecsWrittenLeaf(key) || ecsWrittenObject(key) {
		return true
	}
	for i := 0; i < len(key); i++ {
		if key[i] == '.' && ecsWrittenLeaf(key[:i]) {
			return true
		}
	}
	return false
}

func ecsWrittenLeaf(key string) bool {
	switch key {
	case "@timestamp", "log.level", "message", "ecs.version", "log.logger", "service.name",
		"log.origin.function", "log.origin.file.name", "log.origin.file.line", truncatedKey, "trace.id", "span.id":
		return true
	}
	return false
}

func ecsWrittenObject(key string) bool {
	switch key {
	case "log", "ecs", "service", "log.origin", "log.origin.file", "trace", "span":
		return true
	}
	return false
}
