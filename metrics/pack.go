package metrics

import (
	"encoding/binary"
	"math"
	"reflect"
	"unsafe"
)

// This file and labelmemo.go are the only ones that use unsafe. Every
// offset and kind this file reads was computed by reflect from the event's
// struct type in Declare, and
// packOf and unpackInto only ever hand it a *T of that type: EventType[T]
// and Emit[T] find d by T.

// packOf packs the struct *v, of the type d was declared from.
func packOf[T any](d *Descriptor, v *T, p *Payload) { pack(d, unsafe.Pointer(v), p) }

// unpackInto unpacks p into *v, of the type d was declared from.
func unpackInto[T any](d *Descriptor, p *Payload, v *T) { unpack(d, p, unsafe.Pointer(v)) }

// packPlan is how pack copies a struct, one list per kind of store, so
// that pack runs one tight loop per list with no switch in the common
// cases.
//
// The order of the lists is the order of the stores, and it matters:
// Emit's caller copies the payload into its arguments in 16-byte moves
// right after pack, and a 16-byte load of memory that narrower stores have
// just written, still in the CPU's store buffer, stalls it (store
// forwarding fails: about ten cycles a block, once measured as a third of
// the cost of packing). So the narrow stores (label indexes, bools, lone
// words, narrow integers) come first, while there is work left to let
// them drain, and the 16-byte ones (strings, pairs of words) last. (Since
// the stores go by offset, moving the label store after the others has
// measured no different: 16 alternating rounds, within 1%.)
type packPlan struct {
	labels []labelAt // label fields, resolved first into one word of indexes
	other  []*Field  // narrow integers and float32, widened to 64 bits
	bools  []moveAt  // one byte, 0 or 1, widened to 64 bits
	words  []moveAt  // 64-bit fields copied alone
	moves  []moveAt  // 16 bytes: a string, or two 64-bit fields side by side in both
}

// moveAt copies bytes from offset src of the struct to offset dst of the
// Payload: offsets, not slots, so that pack indexes nothing.
type moveAt struct {
	src, dst uintptr
}

// labelAt is the label field at offset off of the struct, whose index goes
// shift bits up the word that holds Payload.lbl.
type labelAt struct {
	off   uintptr
	shift uint8
	label *Label
}

// Payload.lbl is stored as one 64-bit word; this fails to compile if
// StrSlots ever makes it another size.
var _ [8]byte = [2 * StrSlots]byte{}

// labelShift returns how many bits up the word of Payload.lbl the index of
// string slot slot lies, in the byte order of the platform.
func labelShift(slot uint8) uint8 {
	if bigEndian {
		return 16 * (StrSlots - 1 - slot)
	}
	return 16 * slot
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
	var wide []*Field // 64-bit fields, paired below
	var strs []moveAt // after the pairs, in pl.moves
	for _, f := range fields {
		switch {
		case f.gokind == reflect.Bool:
			pl.bools = append(pl.bools, moveAt{src: f.offset, dst: numAt(f.slot)})
		case f.gokind == reflect.String:
			strs = append(strs, moveAt{src: f.offset, dst: strAt(f.slot)})
			if f.Label != nil {
				pl.labels = append(pl.labels, labelAt{off: f.offset, shift: labelShift(f.slot), label: f.Label})
			}
		case is64(f.gokind):
			wide = append(wide, f)
		default:
			pl.other = append(pl.other, f)
		}
	}
	for i := 0; i < len(wide); i++ {
		f := wide[i]
		if i+1 < len(wide) && f.slot%2 == 0 {
			if g := wide[i+1]; g.slot == f.slot+1 && g.offset == f.offset+8 {
				pl.moves = append(pl.moves, moveAt{src: f.offset, dst: numAt(f.slot)})
				i++
				continue
			}
		}
		pl.words = append(pl.words, moveAt{src: f.offset, dst: numAt(f.slot)})
	}
	pl.moves = append(pl.moves, strs...)
	return pl
}

// numAt and strAt return the offset in a Payload of numeric slot i and of
// string slot i.
func numAt(i uint8) uintptr { return unsafe.Offsetof(Payload{}.num) + uintptr(i)*8 }
func strAt(i uint8) uintptr { return unsafe.Offsetof(Payload{}.str) + uintptr(i)*unsafe.Sizeof("") }

// pack copies the fields of the struct at v, whose layout d.Fields
// describes, into p, resolving labels, in the order packPlan explains.
func pack(d *Descriptor, v unsafe.Pointer, p *Payload) {
	pl := &d.plan
	if len(pl.labels) > 0 {
		// One 8-byte store, built in a register.
		var w uint64
		for _, f := range pl.labels {
			s := *(*string)(unsafe.Add(v, f.off))
			i, ok := f.label.memo.get(s) // resolve, with the memo's hit inline
			if !ok {
				i = f.label.resolveMiss(s)
			}
			w |= uint64(i) << (f.shift & 63)
		}
		*(*uint64)(unsafe.Pointer(&p.lbl)) = w
	}
	for _, f := range pl.other {
		packOther(f, unsafe.Add(v, f.offset), p)
	}
	for _, f := range pl.bools {
		*(*uint64)(unsafe.Add(unsafe.Pointer(p), f.dst)) = uint64(*(*uint8)(unsafe.Add(v, f.src)))
	}
	for _, f := range pl.words {
		*(*uint64)(unsafe.Add(unsafe.Pointer(p), f.dst)) = *(*uint64)(unsafe.Add(v, f.src))
	}
	// One 16-byte move each. A string's pointer is written without a
	// write barrier, which is sound because p is always a local of
	// packOf's callers, on the stack (the tests that Emit and Pack
	// allocate nothing keep it there), and v keeps the string alive.
	for _, f := range pl.moves {
		*(*[2]uint64)(unsafe.Add(unsafe.Pointer(p), f.dst)) = *(*[2]uint64)(unsafe.Add(v, f.src))
	}
}

// bigEndian is set on platforms that store the high byte of a word first.
var bigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// packOther packs a field that is neither a 64-bit word, a bool nor a
// string: a narrow integer or a float32, widened to its slot's 64 bits.
func packOther(f *Field, at unsafe.Pointer, p *Payload) {
	switch f.gokind {
	case reflect.Int:
		p.num[f.slot] = uint64(int64(*(*int)(at)))
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
	case reflect.Float32:
		p.num[f.slot] = math.Float64bits(float64(*(*float32)(at)))
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
