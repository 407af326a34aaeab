package shardkv

import (
	"fmt"
	"iter"
)

// SampleRows yields n rows for examples and tests: the keys key-000000,
// key-000001, … (six digits, so that they sort as they count), each with
// the value "value".
func SampleRows(n int) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		for i := range n {
			if !yield(fmt.Appendf(nil, "key-%06d", i), []byte("value")) {
				return
			}
		}
	}
}
