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
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// safeASCII[c] reports whether the ASCII byte c can be written inside a JSON
// string as is.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendEscaped appends s escaped for a JSON string (without quotes):
// control characters escaped, invalid UTF-8 replaced by \ufffd, U+2028 and
// U+2029 escaped.
func appendEscaped(b []byte, s string) []byte {
	i := 0
	if len(s) >= 8 {
		p := unsafe.Pointer(unsafe.StringData(s))
		for ; i+8 <= len(s); i += 8 {
			if needsEscape(*(*uint64)(unsafe.Add(p, i))) {
				break
			}
		}
	}
	for i < len(s) && s[i] < utf8.RuneSelf && safeASCII[s[i]] {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	start := 0
	for i < len(s) {
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

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// needsEscape reports whether one of the 8 bytes of w is a control
// character, '"', '\\' or not ASCII (SWAR; exact).
func needsEscape(w uint64) bool {
	q := w ^ (lsb * '"')
	bs := w ^ (lsb * '\\')
	return ((w-lsb*0x20)&^w|(q-lsb)&^q|(bs-lsb)&^bs|w)&msb != 0
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
		ip := int64(pow10[k])
		b = strconv.AppendInt(b, mi/ip, 10)
		b = append(b, '.')
		frac := mi % ip
		for d := ip / 10; d > 0 && frac > 0; d /= 10 {
			b = append(b, byte('0'+frac/d%10))
			frac %= d
		}
		return b, true
	}
	return b, false
}

// appendTimestamp appends t in UTC as "2006-01-02T15:04:05.000Z" (quoted).
func appendTimestamp(b []byte, t time.Time) []byte {
	sec := t.Unix()
	if sec < minTimestamp || sec > maxTimestamp {
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		return append(b, '"')
	}
	ms := t.Nanosecond() / 1e6
	days, rem := sec/86400, int(sec%86400)
	if rem < 0 {
		days--
		rem += 86400
	}
	var year, month, day int
	if c := dayCache.Load(); c>>32 == uint64(days)&0xFFFFFFFF {
		year, month, day = int(c>>16&0xFFFF), int(c>>8&0xFF), int(c&0xFF)
	} else {
		year, month, day = civil(days)
		dayCache.Store(uint64(days)<<32 | uint64(year)<<16 | uint64(month)<<8 | uint64(day))
	}
	hh, mm, ss := rem/3600, rem/60%60, rem%60
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

// Unix seconds of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const (
	minTimestamp = -62167219200
	maxTimestamp = 253402300799
)

// dayCache holds the last converted day: days since the epoch (high 32
// bits), year, month and day.
var dayCache atomic.Uint64

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(z int64) (year, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
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
