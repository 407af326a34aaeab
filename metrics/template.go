package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// templatePart is a literal or a field of a message template.
type templatePart struct {
	text  string
	field *Field // nil for a literal
}

// parseTemplate splits a message template into literals and {field}
// references, each of which must name a field of d. "{{" and "}}" stand for
// literal braces.
func parseTemplate(msg string, d *Descriptor) ([]templatePart, error) {
	var parts []templatePart
	var lit strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case c == '{' && i+1 < len(msg) && msg[i+1] == '{', c == '}' && i+1 < len(msg) && msg[i+1] == '}':
			lit.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(msg[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("message %q: unclosed {", msg)
			}
			name := msg[i+1 : i+end]
			f, ok := d.Field(name)
			if !ok {
				return nil, fmt.Errorf("message %q: {%s} is not a field of the event", msg, name)
			}
			if lit.Len() > 0 {
				parts = append(parts, templatePart{text: lit.String()})
				lit.Reset()
			}
			parts = append(parts, templatePart{field: f})
			i += end
		case c == '}':
			return nil, fmt.Errorf("message %q: } without {", msg)
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, templatePart{text: lit.String()})
	}
	return parts, nil
}

// AppendMessage appends the event's message, its template with every
// {field} replaced by the payload's value, to dst and returns the extended
// slice: "shard {db_id} written: {row_count} rows" gives "shard 3 written:
// 5000 rows". A duration is written in its field's unit, a label as
// emitted. An event declared without a message renders its wire name.
func (d *Descriptor) AppendMessage(dst []byte, p *Payload) []byte {
	if d.template == nil {
		return append(dst, d.Wire...)
	}
	for _, part := range d.template {
		if part.field == nil {
			dst = append(dst, part.text...)
			continue
		}
		dst = AppendValue(dst, part.field, p)
	}
	return dst
}

// Render returns the event's message for payload p; see AppendMessage.
func (d *Descriptor) Render(p *Payload) string { return string(d.AppendMessage(nil, p)) }

// AppendValue appends the text of field f's value in p: an integer in
// decimal, a float in the shortest form that parses back, a boolean as
// true or false, a duration as a number in the field's unit, a string as it
// is (not quoted).
func AppendValue(dst []byte, f *Field, p *Payload) []byte {
	switch f.Kind {
	case KindInt:
		return strconv.AppendInt(dst, p.Int(f), 10)
	case KindFloat:
		return strconv.AppendFloat(dst, p.Float(f), 'g', -1, 64)
	case KindBool:
		return strconv.AppendBool(dst, p.Bool(f))
	case KindDuration:
		return strconv.AppendFloat(dst, p.Number(f), 'f', -1, 64)
	case KindString:
		return append(dst, p.Str(f)...)
	}
	return dst
}
