package metrics

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// FieldKind is the type of an event field's value.
type FieldKind uint8

// The kinds of event fields. Each Go type an event struct may hold maps to
// one kind: the signed integer types and uint8, uint16 and uint32 to
// KindInt, float32 and float64 to KindFloat, bool to KindBool,
// time.Duration to KindDuration and string to KindString.
const (
	KindInt      FieldKind = iota + 1 // a whole number: Payload.Int
	KindFloat                         // a number: Payload.Float
	KindBool                          // true or false: Payload.Bool
	KindDuration                      // a time.Duration: Payload.Duration, written in the field's Unit
	KindString                        // a string, plain or a label: Payload.Str
)

// String returns the kind's name: "int", "float", "bool", "duration" or
// "string".
func (k FieldKind) String() string {
	switch k {
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindBool:
		return "bool"
	case KindDuration:
		return "duration"
	case KindString:
		return "string"
	}
	return "FieldKind(" + strconv.Itoa(int(k)) + ")"
}

// numeric reports whether the kind lives in a numeric slot.
func (k FieldKind) numeric() bool { return k != KindString }

// DurationUnit is the unit a duration field is written in by logs, the event
// log and ClickHouse. Histograms always observe seconds.
type DurationUnit uint8

// The units of duration fields, chosen by the field name's suffix.
const (
	Millis  DurationUnit = iota + 1 // name ends in _ms
	Seconds                         // name ends in _s or _seconds
)

// Scale returns how many nanoseconds one unit is: 1e6 for Millis, 1e9 for
// Seconds.
func (u DurationUnit) Scale() float64 {
	if u == Millis {
		return 1e6
	}
	return 1e9
}

// Role marks a duration field that the timing helpers fill.
type Role uint8

// The roles a duration field may have (tag options elapsed, duration, cpu).
const (
	// RoleElapsed: the time since the run started, set by Run.
	RoleElapsed Role = iota + 1
	// RoleDuration: the wall time of a step, set by End and Done.
	RoleDuration
	// RoleCPU: the process CPU time spent in a step started with
	// Run.StepCPU, set by End and Done.
	RoleCPU
)

var roleNames = map[string]Role{"elapsed": RoleElapsed, "duration": RoleDuration, "cpu": RoleCPU}

// Field is one field of a declared event: its wire name, kind and slot in
// the Payload. Backends read a payload's values through its Field values
// (Payload.Int, Payload.Str, …). Fields are built by Declare and shared;
// callers must not modify them.
type Field struct {
	// Name is the wire name, snake_case, such as "db_id" or "duration_ms".
	Name string
	// GoName is the name of the struct field it comes from.
	GoName string
	// Kind is the value's type.
	Kind FieldKind
	// Unit is the unit of a KindDuration field; 0 for other kinds.
	Unit DurationUnit
	// Role is set when a timing helper fills the field.
	Role Role
	// Label is non-nil when the field is a string label: its values are
	// bounded and metrics may carry it.
	Label *Label

	slot   uint8
	offset uintptr
	gokind reflect.Kind
}

// IsLabel reports whether the field is a label.
func (f *Field) IsLabel() bool { return f.Label != nil }

var (
	fieldNameRE    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	durationType   = reflect.TypeFor[time.Duration]()
	errUnsupported = errors.New("unsupported type")
)

// fieldKind returns the kind a struct field of type t has.
func fieldKind(t reflect.Type) (FieldKind, error) {
	if t == durationType {
		return KindDuration, nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return KindInt, nil
	case reflect.Float32, reflect.Float64:
		return KindFloat, nil
	case reflect.Bool:
		return KindBool, nil
	case reflect.String:
		return KindString, nil
	}
	return 0, errUnsupported
}

// parseField builds the Field of struct field sf from its type and its
// `milestone:"name,options"` tag.
func parseField(sf reflect.StructField) (*Field, error) {
	kind, err := fieldKind(sf.Type)
	if err != nil {
		return nil, fmt.Errorf("field %s: type %s is not supported (use an integer of at most 64 signed or 32 unsigned bits, a float, bool, string or time.Duration)", sf.Name, sf.Type)
	}
	f := &Field{GoName: sf.Name, Kind: kind, offset: sf.Offset, gokind: sf.Type.Kind()}
	tag := sf.Tag.Get("milestone")
	parts := strings.Split(tag, ",")
	f.Name = parts[0]
	if f.Name == "" {
		f.Name = SnakeCase(sf.Name)
	}
	if !fieldNameRE.MatchString(f.Name) {
		return nil, fmt.Errorf("field %s: name %q is not snake_case", sf.Name, f.Name)
	}
	var label *labelSpec
	for _, opt := range parts[1:] {
		key, value, _ := strings.Cut(opt, "=")
		switch {
		case key == "label" && value == "":
			if label == nil {
				label = &labelSpec{}
			}
		case key == "values":
			if label == nil {
				label = &labelSpec{}
			}
			label.values = strings.Split(value, "|")
			label.hasValues = true
		case key == "cap":
			if label == nil {
				label = &labelSpec{}
			}
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 || n > MaxLabelCap {
				return nil, fmt.Errorf("field %s: cap=%s must be a whole number from 1 to %d", sf.Name, value, MaxLabelCap)
			}
			label.cap = n
		case roleNames[key] != 0 && value == "":
			f.Role = roleNames[key]
		default:
			return nil, fmt.Errorf("field %s: unknown tag option %q (want label, values=a|b, cap=N, elapsed, duration or cpu)", sf.Name, opt)
		}
	}
	if kind == KindDuration {
		switch {
		case strings.HasSuffix(f.Name, "_ms"):
			f.Unit = Millis
		case strings.HasSuffix(f.Name, "_s"), strings.HasSuffix(f.Name, "_seconds"):
			f.Unit = Seconds
		default:
			return nil, fmt.Errorf("field %s: a duration's name %q must end in _ms, _s or _seconds (its unit)", sf.Name, f.Name)
		}
	}
	if f.Role != 0 && kind != KindDuration {
		return nil, fmt.Errorf("field %s: only a time.Duration field can be filled by the timing helpers", sf.Name)
	}
	if label != nil {
		if kind != KindString {
			return nil, fmt.Errorf("field %s: a label must be a string field", sf.Name)
		}
		if f.Label, err = label.build(f.Name); err != nil {
			return nil, fmt.Errorf("field %s: %w", sf.Name, err)
		}
	}
	return f, nil
}

// SnakeCase turns a Go identifier into snake_case, keeping acronyms whole:
// "DBID" gives "db_id", "NodeID" "node_id", "HTTPStatus" "http_status" and
// "RowsIn" "rows_in". It is the default wire name of an event field.
func SnakeCase(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// An acronym's last letter starts the next word ("DBId" is rare;
			// "DBID" stays "dbid" unless it ends in ID).
			if i > 0 && (prevLower || (nextLower && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	// A trailing "ID" after an acronym ("DBID", "RunID") is its own word.
	if strings.HasSuffix(name, "ID") && len(name) > 2 && !strings.HasSuffix(s, "_id") {
		s = strings.TrimSuffix(s, "id") + "_id"
	}
	return s
}
