package eventlog

import (
	"math"
	"strconv"
	"strings"

	"github.com/milestone-go/milestone/internal/jsonenc"
	"github.com/milestone-go/milestone/metrics"
)

// eventCodec is what the writer needs to encode one catalog event, computed
// once when the collector is built.
type eventCodec struct {
	// prefix is `{"event":"<wire>","ts":`.
	prefix []byte
	keys   []metrics.Key
	scales []float64 // floatScale of each key
	// closesRun is set for the events that end a run's file.
	closesRun bool
}

// floatScale returns by how much a float key's value multiplies back to
// whole nanoseconds: 1e6 for milliseconds (*_ms), 1e9 for seconds.
func floatScale(k metrics.Key) float64 {
	if strings.HasSuffix(k.String(), "_ms") {
		return 1e6
	}
	return 1e9
}

// keyPrefixes holds `,"<key>":` for every payload key.
type keyPrefixes [256][]byte

// codecTable finds the codec of an event: by index for codes below
// denseCodes (the built-ins, the first custom events), else in a map.
type codecTable struct {
	dense  []*eventCodec
	sparse map[metrics.Event]*eventCodec
}

const denseCodes = 2048

func (t *codecTable) get(ev metrics.Event) *eventCodec {
	if int(ev) < len(t.dense) {
		return t.dense[ev]
	}
	if t.sparse == nil {
		return nil
	}
	return t.sparse[ev]
}

func (t *codecTable) set(ev metrics.Event, c *eventCodec) {
	if ev >= denseCodes {
		if t.sparse == nil {
			t.sparse = make(map[metrics.Event]*eventCodec)
		}
		t.sparse[ev] = c
		return
	}
	for int(ev) >= len(t.dense) {
		t.dense = append(t.dense, nil)
	}
	t.dense[ev] = c
}

// buildCodecs snapshots the catalog as it is now: events defined later are
// not in the table and are ignored.
func buildCodecs() (*codecTable, *keyPrefixes) {
	var kp keyPrefixes
	codecs := &codecTable{}
	for _, ev := range metrics.Events() {
		d, ok := metrics.Describe(ev)
		if !ok {
			continue
		}
		c := &eventCodec{keys: append([]metrics.Key(nil), d.Keys...)}
		for _, k := range c.keys {
			c.scales = append(c.scales, floatScale(k))
		}
		c.prefix = append(c.prefix, `{"event":`...)
		c.prefix = jsonenc.AppendString(c.prefix, d.Wire)
		c.prefix = append(c.prefix, `,"ts":`...)
		c.closesRun = d.EndsRun
		codecs.set(ev, c)
		for _, k := range d.Keys {
			if kp[k] == nil {
				kp[k] = append(jsonenc.AppendString([]byte{','}, k.String()), ':')
			}
		}
	}
	return codecs, &kp
}

// appendField appends the value of f in JSON. scale is floatScale(f.Key).
func appendField(b []byte, f metrics.Field, scale float64) []byte {
	switch f.Kind {
	case metrics.KindInt:
		return strconv.AppendInt(b, f.Int, 10)
	case metrics.KindFloat:
		return appendDuration(b, f.Float, scale)
	case metrics.KindBool:
		return strconv.AppendBool(b, f.Bool)
	}
	return append(b, "null"...)
}

// appendDuration appends v, a duration in milliseconds (scale 1e6) or
// seconds (scale 1e9), as a JSON number that parses back to exactly v. When v
// is a whole number of nanoseconds, as every duration is, it is written as
// that exact decimal, which is faster than the shortest-digits algorithm of
// strconv; any other value goes through strconv.AppendFloat.
func appendDuration(b []byte, v, scale float64) []byte {
	const maxExact = 1 << 53
	ns := v * scale
	if ns > -maxExact && ns < maxExact {
		n := int64(math.Round(ns))
		if float64(n)/scale == v {
			if n < 0 {
				b = append(b, '-')
				n = -n
			}
			unit := int64(scale)
			b = strconv.AppendInt(b, n/unit, 10)
			frac := n % unit
			if frac == 0 {
				return b
			}
			digits := 9
			if unit == 1e6 {
				digits = 6
			}
			for frac%10 == 0 {
				frac /= 10
				digits--
			}
			var tmp [9]byte
			for i := digits - 1; i >= 0; i-- {
				tmp[i] = byte('0' + frac%10)
				frac /= 10
			}
			b = append(b, '.')
			return append(b, tmp[:digits]...)
		}
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}
