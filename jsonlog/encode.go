package jsonlog

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// safeASCII[c] reports whether the ASCII byte c can be written inside a JSON
// string as is.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != 0x7f
	}
	return t
}()

// appendEscaped appends s escaped for a JSON string (without quotes):
// control characters escaped, invalid UTF-8 replaced by \ufffd, U+2028 and
// U+2029 escaped.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscapedASCII(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

func appendEscapedASCII(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// appendEscapedLimit is appendEscaped that stops, at a rune boundary, before
// the output would grow beyond max bytes, appending TruncationMarker instead.
// It reports whether it cut s.
func appendEscapedLimit(b []byte, s string, max int) ([]byte, bool) {
	if len(b)+6*len(s) <= max {
		return appendEscaped(b, s), false
	}
	stop := max - len(TruncationMarker)
	var tmp [12]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := appendEscaped(tmp[:0], s[i:i+size])
		if len(b)+len(piece) > stop {
			return append(b, TruncationMarker...), true
		}
		b = append(b, piece...)
		_ = r
		i += size
	}
	return b, false
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

// appendTimestamp appends t in UTC as "2006-01-02T15:04:05.000Z" (quoted).
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		return append(b, '"')
	}
	hh, mm, ss := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = append(b, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hh/10), byte('0'+hh%10), ':',
		byte('0'+mm/10), byte('0'+mm%10), ':',
		byte('0'+ss/10), byte('0'+ss%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
	return b
}

// errorText returns err.Error(), recovering a panic.
func errorText(err error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = panicText("Error", r)
		}
	}()
	return err.Error()
}

// errorType returns the Go type of err, such as "*fs.PathError".
func errorType(err error) string { return reflect.TypeOf(err).String() }

func panicText(method string, r any) (s string) {
	defer func() {
		if recover() != nil {
			s = "!PANIC in " + method
		}
	}()
	return fmt.Sprintf("!PANIC in %s: %v", method, r)
}

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
		return buf.Bytes(), "", false
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
	return b, "", false
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
