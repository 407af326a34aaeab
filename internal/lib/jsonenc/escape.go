package jsonenc

import (
	"slices"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// SafeASCII[c] reports whether the ASCII byte c can be written inside a JSON
// string as is.
var SafeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendEscaped appends s escaped for a JSON string (without quotes):
// control characters escaped, invalid UTF-8 replaced by \ufffd, U+2028 and
// U+2029 escaped.
func AppendEscaped(b []byte, s string) []byte {
	if Plain(s) {
		return AppendShort(b, s)
	}
	i, start := 0, 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if SafeASCII[c] {
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

// Plain reports whether s is ASCII that a JSON string holds as it is: no
// control character, '"', '\\' or byte of 0x80 or more. It reads s by
// words, the last one overlapping the one before it, so a string of 4 bytes
// or more takes no byte loop.
func Plain(s string) bool {
	n := len(s)
	p := unsafe.Pointer(unsafe.StringData(s))
	switch {
	case n >= 8:
		for i := 0; i+8 < n; i += 8 {
			if NeedsEscape(*(*uint64)(unsafe.Add(p, i))) {
				return false
			}
		}
		return !NeedsEscape(*(*uint64)(unsafe.Add(p, n-8)))
	case n >= 4:
		lo, hi := *(*uint32)(p), *(*uint32)(unsafe.Add(p, n-4))
		return !NeedsEscape(uint64(lo) | uint64(hi)<<32)
	}
	for i := 0; i < n; i++ {
		if c := s[i]; c >= utf8.RuneSelf || !SafeASCII[c] {
			return false
		}
	}
	return true
}

// AppendShort appends s, copying a string of 4 to 16 bytes (most keys
// and many values) as two overlapping words instead of calling memmove.
func AppendShort(b []byte, s string) []byte {
	n := len(s)
	if n < 4 || n > 16 {
		return append(b, s...)
	}
	m := len(b)
	b = slices.Grow(b, n)[:m+n]
	CopyShort(b[m:], s)
	return b
}

// CopyShort copies s into dst, of its length: a string of 4 to 16 bytes as
// two overlapping words, without a call to memmove.
func CopyShort(dst []byte, s string) {
	n := len(s)
	d, p := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.StringData(s))
	switch {
	case n >= 8 && n <= 16:
		*(*uint64)(d) = *(*uint64)(p)
		*(*uint64)(unsafe.Add(d, n-8)) = *(*uint64)(unsafe.Add(p, n-8))
	case n >= 4 && n < 8:
		*(*uint32)(d) = *(*uint32)(p)
		*(*uint32)(unsafe.Add(d, n-4)) = *(*uint32)(unsafe.Add(p, n-4))
	default:
		copy(dst, s)
	}
}

// NeedsEscape reports whether one of the 8 bytes of w is a control
// character, '"', '\\' or not ASCII (SWAR; exact).
func NeedsEscape(w uint64) bool {
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

// AppendString appends s as a quoted JSON string, escaped as AppendEscaped
// does.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = AppendEscaped(b, s)
	return append(b, '"')
}

// AppendHex appends p as lowercase hex (a trace or span id), growing b
// once.
func AppendHex(b []byte, p []byte) []byte {
	const digits = "0123456789abcdef"
	n := len(b)
	b = slices.Grow(b, 2*len(p))[:n+2*len(p)]
	out := b[n:]
	for i, c := range p {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return b
}
