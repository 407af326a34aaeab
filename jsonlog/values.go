package jsonlog

// This file encodes values: every slog kind, errors, floats, marshalers,
// and the values of the fused paths.

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/milestone-go/milestone/internal/lib/errtext"
	"github.com/milestone-go/milestone/internal/lib/jsonenc"
)

func (e *encoder) value(v slog.Value, depth int) { e.valueKind(v, v.Kind(), depth) }

func (e *encoder) valueKind(v slog.Value, kind slog.Kind, depth int) {
	switch kind {
	case slog.KindString:
		e.str(v.String())
	case slog.KindInt64:
		e.buf = strconv.AppendInt(e.buf, v.Int64(), 10)
	case slog.KindUint64:
		e.buf = strconv.AppendUint(e.buf, v.Uint64(), 10)
	case slog.KindFloat64:
		e.buf = appendFloat(e.buf, v.Float64())
	case slog.KindBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case slog.KindDuration:
		e.buf = strconv.AppendInt(e.buf, int64(v.Duration()), 10)
	case slog.KindTime:
		e.buf = append(e.buf, '"')
		e.buf = v.Time().UTC().AppendFormat(e.buf, time.RFC3339Nano)
		e.buf = append(e.buf, '"')
	case slog.KindGroup:
		if depth >= MaxDepth {
			e.str(DepthMarker)
			return
		}
		e.buf = append(e.buf, '{')
		e.first = true
		e.fields(v.Group(), depth+1)
		e.buf = append(e.buf, '}')
		e.first = false
	case slog.KindLogValuer:
		e.value(v.Resolve(), depth)
	default:
		raw, s, isStr := anyJSON(v.Any())
		switch {
		case isStr:
			e.str(s)
		case e.limit > 0 && !e.room(len(raw)):
			e.str(string(raw))
		default:
			e.buf = append(e.buf, raw...)
		}
	}
}

// fusedField writes `,"k":v`, k being a plain key (JSON writes it as it is) and v of a kind fusedKind
// accepted.
func (e *encoder) fusedField(k string, v slog.Value, kind slog.Kind, err error) {
	b := e.buf
	n := len(b)
	if cap(b)-n < len(k)+4 {
		b = slices.Grow(b, len(k)+4)
	}
	b = b[:n+len(k)+4]
	b[n], b[n+1] = ',', '"'
	jsonenc.CopyShort(b[n+2:n+2+len(k)], k)
	b[n+2+len(k)], b[n+3+len(k)] = '"', ':'
	e.buf = appendFusedValue(b, v, kind, err)
}

// fusedKind reports whether the fused path writes a value of v's kind, and
// returns the kind and, for an error, the error. It writes scalars, and an
// error only as the record's last attribute (as its text, as the general
// path does): Error runs user code, and only after the last attribute can
// the fused path no longer give up and hand the record to the general path,
// which would call it again.
func fusedKind(v slog.Value, last bool) (slog.Kind, error, bool) {
	kind := v.Kind()
	if kind == slog.KindAny {
		err, isErr := isError(v)
		return kind, err, isErr && last
	}
	return kind, nil, kind <= slog.KindUint64
}

// appendFusedValue appends v, of a kind fusedKind accepted, as the general
// path writes it.
func appendFusedValue(b []byte, v slog.Value, kind slog.Kind, err error) []byte {
	switch kind {
	case slog.KindString:
		b = append(b, '"')
		b = jsonenc.AppendEscaped(b, v.String())
		b = append(b, '"')
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		b = strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		b = appendFloat(b, v.Float64())
	case slog.KindBool:
		b = strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		b = strconv.AppendInt(b, int64(v.Duration()), 10)
	case slog.KindTime:
		b = append(b, '"')
		b = v.Time().UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	case slog.KindAny:
		b = append(b, '"')
		b = jsonenc.AppendEscaped(b, errorText(err))
		b = append(b, '"')
	}
	return b
}

// appendFloat appends f as encoding/json does, except that NaN, +Inf and
// -Inf, which JSON cannot represent, are written as the strings "NaN",
// "+Inf" and "-Inf".
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	if b2, ok := appendShortFloat(b, f); ok {
		return b2
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

var pow10 = [...]float64{1, 10, 100, 1000, 10000}

// appendShortFloat appends f when it is m/10^k exactly enough to round-trip
// (k ≤ 4, |m| < 2^53): "12.5", "-3", "0.001". It is much faster than
// strconv's shortest formatting, and its output parses back to f.
func appendShortFloat(b []byte, f float64) ([]byte, bool) {
	if !(f > -1e11 && f < 1e11) || f == 0 && math.Signbit(f) {
		return b, false
	}
	for k, p := range pow10 {
		m := f * p
		mi := int64(m)
		if float64(mi) != m || float64(mi)/p != f {
			continue
		}
		if mi < 0 {
			b = append(b, '-')
			mi = -mi
		}
		if k == 0 {
			return strconv.AppendInt(b, mi, 10), true
		}
		// constant divisors, which the compiler turns into multiplications
		var q, r int64
		switch k {
		case 1:
			q, r = mi/10, mi%10
		case 2:
			q, r = mi/100, mi%100
		case 3:
			q, r = mi/1000, mi%1000
		default:
			q, r = mi/10000, mi%10000
		}
		b = strconv.AppendInt(b, q, 10)
		// '.' and k digits, zero-padded, written in place; trailing zeros
		// cut (f*10^k may be an integer where f*10^(k-1) was not quite
		// one), and the '.' with them when no digit is left
		dot := len(b)
		b = append(b, '.', '0', '0', '0', '0')[:dot+1+k]
		for i := dot + k; i > dot; i-- {
			b[i] = byte('0' + r%10)
			r /= 10
		}
		end := dot + 1 + k
		for end > dot+1 && b[end-1] == '0' {
			end--
		}
		if end == dot+1 {
			end = dot
		}
		return b[:end], true
	}
	return b, false
}

// isError reports whether v is a plain error value (not a json.Marshaler).
func isError(v slog.Value) (error, bool) {
	if v.Kind() != slog.KindAny {
		return nil, false
	}
	a := v.Any()
	if _, ok := a.(json.Marshaler); ok {
		return nil, false
	}
	err, ok := a.(error)
	return err, ok
}

// errorText, errorType and panicText are errtext's, shared with logctx.
func errorText(err error) string { return errtext.Message(err) }

func errorType(err error) string { return errtext.Type(err) }

func panicText(method string, r any) string { return errtext.Panic(method, r) }

func stringerText(x fmt.Stringer) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = panicText("String", r)
		}
	}()
	return x.String()
}

func marshalJSON(x json.Marshaler) (out []byte, errText string) {
	defer func() {
		if r := recover(); r != nil {
			out, errText = nil, panicText("MarshalJSON", r)
		}
	}()
	b, err := x.MarshalJSON()
	if err != nil {
		return nil, "!ERROR: " + err.Error()
	}
	return b, ""
}

func marshalText(x encoding.TextMarshaler) (out string, errText string) {
	defer func() {
		if r := recover(); r != nil {
			out, errText = "", panicText("MarshalText", r)
		}
	}()
	b, err := x.MarshalText()
	if err != nil {
		return "", "!ERROR: " + err.Error()
	}
	return string(b), ""
}

func marshalAny(v any) (out []byte, errText string) {
	defer func() {
		if r := recover(); r != nil {
			out, errText = nil, panicText("MarshalJSON", r)
		}
	}()
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "!ERROR: " + err.Error()
	}
	return b, ""
}

// anyJSON returns the JSON text of v (KindAny) when it is raw JSON, or the
// string to write instead.
func anyJSON(v any) (raw []byte, str string, isStr bool) {
	switch x := v.(type) {
	case nil:
		return []byte("null"), "", false
	case json.Marshaler:
		b, e := marshalJSON(x)
		if e != "" {
			return nil, e, true
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return nil, "!ERROR: MarshalJSON returned invalid JSON: " + err.Error(), true
		}
		return indexableJSON(buf.Bytes())
	case error:
		return nil, errorText(x), true
	case encoding.TextMarshaler:
		s, e := marshalText(x)
		if e != "" {
			return nil, e, true
		}
		return nil, s, true
	case fmt.Stringer:
		return nil, stringerText(x), true
	}
	b, e := marshalAny(v)
	if e != "" {
		return nil, e, true
	}
	return indexableJSON(b)
}

// indexableJSON returns raw as raw JSON when Elasticsearch can index the
// objects in it as they are (every key non-empty, without a dot or a blank,
// once per object), and otherwise as a string holding the same text, so
// that the value is kept and the line is not rejected.
func indexableJSON(raw []byte) ([]byte, string, bool) {
	if bytes.IndexByte(raw, '{') < 0 || rawKeysIndexable(raw) {
		return raw, "", false
	}
	return nil, string(raw), true
}

// rawKeysIndexable reports whether every object key in the valid JSON text
// raw is a plain key: not blank, without a dot, and not repeated in its
// object.
func rawKeysIndexable(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // the next string token of this object is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return err == io.EOF
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top >= 0 && stack[top].object {
					stack[top].expect = true
				}
				stack = append(stack, frame{object: d == '{', keys: map[string]bool{}, expect: true})
			default:
				stack = stack[:top]
				if top > 0 && stack[top-1].object {
					stack[top-1].expect = true
				}
			}
			continue
		}
		if top < 0 || !stack[top].object {
			continue
		}
		if !stack[top].expect { // a scalar value
			stack[top].expect = true
			continue
		}
		k, _ := tok.(string)
		if blank(k) || strings.IndexByte(k, '.') >= 0 || stack[top].keys[k] {
			return false
		}
		stack[top].keys[k] = true
		stack[top].expect = false
	}
}

// settleAny returns v with an any value replaced by what the encoder
// writes for it (a string, or the raw JSON text), so that the user code
// it runs (MarshalJSON, String, Error) runs once, for the check, and not
// again for the line.
func settleAny(v slog.Value) slog.Value {
	if v.Kind() != slog.KindAny {
		return v
	}
	raw, s, isStr := anyJSON(v.Any())
	if isStr {
		return slog.StringValue(s)
	}
	return slog.AnyValue(rawJSON(raw))
}

// rawJSON is JSON text already produced (and compacted) by anyJSON.
type rawJSON []byte

// MarshalJSON returns the text itself.
func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// jsonText returns the JSON text the encoder writes for v, without a limit.
func jsonText(v slog.Value) []byte {
	e := encoder{}
	e.value(v, 0)
	return e.buf
}

// fields writes attrs as the fields of the current object (flat layout) and
// returns how many it wrote.
func (e *encoder) fields(attrs []slog.Attr, depth int) int {
	n := 0
	for i := range attrs {
		if e.field(attrs[i], depth, false, false) {
			n++
		}
	}
	return n
}

// field writes one attribute (flat layout); rename applies the reserved
// top-level keys. An empty attribute or group writes nothing.
func (e *encoder) field(a slog.Attr, depth int, rename, addSource bool) bool {
	v := a.Value
	kind := v.Kind()
	if kind == slog.KindLogValuer {
		v = v.Resolve()
		kind = v.Kind()
	}
	if a.Key == "" && kind == slog.KindAny && v.Any() == nil {
		return false
	}
	mark, first := len(e.buf), e.first
	var ok bool
	if rename && reservedFlat(a.Key, addSource) {
		ok = e.renamedKey(a.Key)
		e.renamed++
	} else {
		ok = e.key(a.Key)
	}
	if !ok {
		return false
	}
	if kind == slog.KindGroup && depth < MaxDepth {
		e.buf = append(e.buf, '{')
		e.first = true
		if e.fields(v.Group(), depth+1) == 0 {
			e.buf = e.buf[:mark]
			e.first = first
			return false
		}
		e.buf = append(e.buf, '}')
		e.first = false
		return true
	}
	e.valueKind(v, kind, depth)
	return true
}
