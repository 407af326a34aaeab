package jsonenc

import (
	"encoding/binary"
	"slices"
	"sync/atomic"
	"time"
)

// AppendTimestamp appends t in UTC as "2006-01-02T15:04:05.000Z", quoted:
// RFC 3339 with milliseconds, the form both the JSON logs and the event log
// write. Times outside years 0-9999 fall back to time.Time.AppendFormat.
func AppendTimestamp(b []byte, t time.Time) []byte {
	sec := t.Unix()
	if sec < minTimestamp || sec > maxTimestamp {
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		return append(b, '"')
	}
	ms := t.Nanosecond() / 1e6
	if w0, w1, w2, ok := cachedSecond(sec); ok {
		// The three words, then the milliseconds over the last word's
		// three spare bytes: 26 bytes.
		n := len(b)
		b = slices.Grow(b, timestampLen)[:n+timestampLen]
		binary.LittleEndian.PutUint64(b[n:], w0)
		binary.LittleEndian.PutUint64(b[n+8:], w1)
		binary.LittleEndian.PutUint64(b[n+16:], w2)
		t := b[n+secondLen : n+timestampLen]
		t[0], t[1], t[2], t[3], t[4] = byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"'
		return b
	}
	n := len(b)
	b = appendCivil(b, sec, ms)
	cacheSecond(sec, b[n:n+secondLen])
	return b
}

// appendCivil is AppendTimestamp for a time in range, from its Unix
// seconds and milliseconds, without the second cache.
func appendCivil(b []byte, sec int64, ms int) []byte {
	days, rem := sec/86400, int(sec%86400)
	if rem < 0 {
		days--
		rem += 86400
	}
	var year, month, day int
	if c := dayCache.Load(); c != 0 && c>>32 == uint64(days)&0xFFFFFFFF { // 0: empty cache
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

// secondLen is the length of a timestamp's text up to its milliseconds:
// `"2006-01-02T15:04:05.`.
const secondLen = 21

// timestampLen is the length of a timestamp's text, quotes included.
const timestampLen = 26

// secondCache holds the text up to the milliseconds of the last second
// AppendTimestamp wrote, in three little-endian words, under a seqlock:
// the lines of one second share it, so most timestamps are a copy and
// three digits. seq is odd while a writer fills it, and 0 while it is
// empty.
var secondCache struct {
	seq  atomic.Uint64
	sec  atomic.Int64
	text [3]atomic.Uint64
}

// cachedSecond returns the cached text of second sec, in the three words
// secondCache holds it in, if it is cached.
func cachedSecond(sec int64) (w0, w1, w2 uint64, ok bool) {
	c := &secondCache
	seq := c.seq.Load()
	if seq == 0 || seq&1 != 0 || c.sec.Load() != sec {
		return 0, 0, 0, false
	}
	w0, w1, w2 = c.text[0].Load(), c.text[1].Load(), c.text[2].Load()
	return w0, w1, w2, c.seq.Load() == seq
}

// cacheSecond caches text (secondLen bytes) as the text of second sec,
// unless another goroutine is doing so.
func cacheSecond(sec int64, text []byte) {
	c := &secondCache
	seq := c.seq.Load()
	if seq&1 != 0 || !c.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	var w [24]byte
	copy(w[:], text)
	c.sec.Store(sec)
	c.text[0].Store(binary.LittleEndian.Uint64(w[0:]))
	c.text[1].Store(binary.LittleEndian.Uint64(w[8:]))
	c.text[2].Store(binary.LittleEndian.Uint64(w[16:]))
	c.seq.Store(seq + 2)
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
