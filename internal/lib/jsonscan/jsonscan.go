package jsonscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"unsafe"
)

// Member is one member of an object: its key and its value as raw JSON.
// Key may point into the scanned bytes: copy it (strings.Clone) to keep it
// past them.
type Member struct {
	Key string
	Raw []byte
}

// Object appends the members of the JSON object in data to dst, in order,
// and returns it. Values are raw (a string with its quotes, a number, a
// literal, or a whole nested array or object). It checks the object's
// structure, not the validity of every value.
func Object(dst []Member, data []byte) ([]Member, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return dst, errors.New("jsonscan: not an object")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return dst, nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return dst, fmt.Errorf("jsonscan: want a key at offset %d", i)
		}
		end, err := stringEnd(data, i)
		if err != nil {
			return dst, err
		}
		key, ok := Str(data[i:end])
		if !ok {
			return dst, fmt.Errorf("jsonscan: bad key at offset %d", i)
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return dst, fmt.Errorf("jsonscan: want ':' at offset %d", i)
		}
		i = skipSpace(data, i+1)
		vend, err := valueEnd(data, i)
		if err != nil {
			return dst, err
		}
		dst = append(dst, Member{Key: key, Raw: data[i:vend]})
		i = skipSpace(data, vend)
		if i >= len(data) {
			return dst, errors.New("jsonscan: unterminated object")
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return dst, nil
		default:
			return dst, fmt.Errorf("jsonscan: want ',' or '}' at offset %d", i)
		}
	}
}

// Array appends the raw elements of the JSON array in data to dst, in
// order, and returns it. Like Object, it checks the array's structure, not
// the validity of every element.
func Array(dst [][]byte, data []byte) ([][]byte, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return dst, errors.New("jsonscan: not an array")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return dst, nil
	}
	for {
		end, err := valueEnd(data, i)
		if err != nil {
			return dst, err
		}
		dst = append(dst, data[i:end])
		i = skipSpace(data, end)
		if i >= len(data) {
			return dst, errors.New("jsonscan: unterminated array")
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return dst, nil
		default:
			return dst, fmt.Errorf("jsonscan: want ',' or ']' at offset %d", i)
		}
	}
}

// Get returns the raw value of key among members.
func Get(members []Member, key string) ([]byte, bool) {
	for i := range members {
		if members[i].Key == key {
			return members[i].Raw, true
		}
	}
	return nil, false
}

// Str returns the string a raw JSON string holds. Without escapes it
// points into raw (no copy); with escapes it is decoded into a new string.
// ok is false when raw is not a string.
func Str(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	if len(body) == 0 {
		return "", true
	}
	return unsafe.String(&body[0], len(body)), true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset just past the string starting at data[i].
func stringEnd(data []byte, i int) (int, error) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("jsonscan: unterminated string at offset %d", i)
}

// valueEnd returns the offset just past the value starting at data[i].
func valueEnd(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, errors.New("jsonscan: missing value")
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, err := stringEnd(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("jsonscan: unterminated value at offset %d", i)
	}
	j := i
	for j < len(data) && data[j] != ',' && data[j] != '}' && data[j] != ']' && data[j] != ' ' && data[j] != '\n' && data[j] != '\t' && data[j] != '\r' {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("jsonscan: missing value at offset %d", i)
	}
	return j, nil
}
