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

// pack copies the fields of the struct at v, whose layout d.Fields
// describes, into p, resolving labels.
func pack(d *Descriptor, v unsafe.Pointer, p *Payload) {
	for _, f := range d.Fields {
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
			s := *(*string)(at)
			p.str[f.slot] = s
			if f.Label != nil {
				p.lbl[f.slot] = f.Label.resolve(s)
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
