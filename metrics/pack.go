package metrics

import (
	"math"
	"reflect"
	"unsafe"
)

// This file is the only one that uses unsafe. Every offset and kind it reads
// was computed by reflect from the event's struct type in Declare, and
// packOf and unpackInto only ever hand it a *T of that type: EventType[T]
// and Emit[T] find d by T.

// packOf packs the struct *v, of the type d was declared from.
func packOf[T any](d *Descriptor, v *T, p *Payload) { pack(d, unsafe.Pointer(v), p) }

// unpackInto unpacks p into *v, of the type d was declared from.
func unpackInto[T any](d *Descriptor, p *Payload, v *T) { unpack(d, p, unsafe.Pointer(v)) }

// packPlan is how pack copies a struct: runs of 64-bit numeric fields that
// lie next to each other in the struct and in the slots, copied word by
// word, then every other field one by one.
type packPlan struct {
	runs  []wordRun
	other []*Field
}

// wordRun is n 64-bit words at offset off of the struct, for slots slot to
// slot+n-1.
type wordRun struct {
	off  uintptr
	slot uint8
	n    uint8
}

// is64 reports whether a field of kind k is held in the struct as a 64-bit
// word whose bits are the slot's: int64, int on 64-bit platforms,
// time.Duration and float64.
func is64(k reflect.Kind) bool {
	switch k {
	case reflect.Int64, reflect.Float64:
		return true
	case reflect.Int:
		return unsafe.Sizeof(int(0)) == 8
	}
	return false
}

// newPackPlan builds the plan of d's fields.
func newPackPlan(fields []*Field) packPlan {
	var pl packPlan
	for _, f := range fields {
		if !is64(f.gokind) {
			pl.other = append(pl.other, f)
			continue
		}
		if n := len(pl.runs); n > 0 {
			last := &pl.runs[n-1]
			if last.off+uintptr(last.n)*8 == f.offset && last.slot+last.n == f.slot {
				last.n++
				continue
			}
		}
		pl.runs = append(pl.runs, wordRun{off: f.offset, slot: f.slot, n: 1})
	}
	return pl
}

// pack copies the fields of the struct at v, whose layout d.Fields
// describes, into p, resolving labels.
//
// Runs of 64-bit fields are copied in 16-byte pairs and strings as one
// 16-byte move: the payload is then copied into Emit's arguments in
// 16-byte moves, and a 16-byte load of memory just written by two 8-byte
// stores stalls the CPU's store forwarding (about ten cycles per block,
// measured as a third of the cost of packing).
func pack(d *Descriptor, v unsafe.Pointer, p *Payload) {
	for _, r := range d.plan.runs {
		src := unsafe.Add(v, r.off)
		i := uint8(0)
		if r.slot&1 == 0 {
			for ; i+1 < r.n; i += 2 {
				*(*[2]uint64)(unsafe.Pointer(&p.num[r.slot+i])) = *(*[2]uint64)(unsafe.Add(src, uintptr(i)*8))
			}
		}
		for ; i < r.n; i++ {
			p.num[r.slot+i] = *(*uint64)(unsafe.Add(src, uintptr(i)*8))
		}
	}
	for _, f := range d.plan.other {
		at := unsafe.Add(v, f.offset)
		switch f.gokind {
		case reflect.Int:
			p.num[f.slot] = uint64(int64(*(*int)(at)))
		case reflect.Int64:
			p.num[f.slot] = uint64(*(*int64)(at))
		case reflect.Int32:
			p.num[f.slot] = uint64(int64(*(*int32)(at)))
		case reflect.Int16:
			p.num[f.slot] = uint64(int64(*(*int16)(at)))
		case reflect.Int8:
			p.num[f.slot] = uint64(int64(*(*int8)(at)))
		case reflect.Uint32:
			p.num[f.slot] = uint64(*(*uint32)(at))
		case reflect.Uint16:
			p.num[f.slot] = uint64(*(*uint16)(at))
		case reflect.Uint8:
			p.num[f.slot] = uint64(*(*uint8)(at))
		case reflect.Float64:
			p.num[f.slot] = math.Float64bits(*(*float64)(at))
		case reflect.Float32:
			p.num[f.slot] = math.Float64bits(float64(*(*float32)(at)))
		case reflect.Bool:
			if *(*bool)(at) {
				p.num[f.slot] = 1
			}
		case reflect.String:
			// One 16-byte move. It writes the string's pointer without a
			// write barrier, which is sound because p is always a local of
			// packOf's callers, on the stack (the tests that Emit and Pack
			// allocate nothing keep it there), and v keeps the string alive.
			*(*[2]uint64)(unsafe.Pointer(&p.str[f.slot])) = *(*[2]uint64)(at)
			if f.Label != nil {
				p.lbl[f.slot] = f.Label.resolve(*(*string)(at))
			}
		}
	}
}

// unpack is pack's inverse: it writes the fields of p into the struct at v.
func unpack(d *Descriptor, p *Payload, v unsafe.Pointer) {
	for _, f := range d.Fields {
		at := unsafe.Add(v, f.offset)
		n := p.num[f.slot]
		switch f.gokind {
		case reflect.Int:
			*(*int)(at) = int(int64(n))
		case reflect.Int64:
			*(*int64)(at) = int64(n)
		case reflect.Int32:
			*(*int32)(at) = int32(n)
		case reflect.Int16:
			*(*int16)(at) = int16(n)
		case reflect.Int8:
			*(*int8)(at) = int8(n)
		case reflect.Uint32:
			*(*uint32)(at) = uint32(n)
		case reflect.Uint16:
			*(*uint16)(at) = uint16(n)
		case reflect.Uint8:
			*(*uint8)(at) = uint8(n)
		case reflect.Float64:
			*(*float64)(at) = math.Float64frombits(n)
		case reflect.Float32:
			*(*float32)(at) = float32(math.Float64frombits(n))
		case reflect.Bool:
			*(*bool)(at) = n != 0
		case reflect.String:
			*(*string)(at) = p.str[f.slot]
		}
	}
}

// typeKey returns the address of t's runtime type descriptor: a key for the
// declared-events map that hashes as one machine word.
func typeKey(t reflect.Type) uintptr {
	return uintptr((*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1])
}
