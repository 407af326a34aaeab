// Package stringcache is a small, lock-free cache keyed by a string's
// identity: the address and length of its bytes, not the bytes themselves.
//
// Hot paths that see the same strings again and again (a log key written as
// a constant at a call site: jsonlog's key facts) use it to skip work whose
// result depends only on the string's bytes. A lookup compares an address
// and a length, so its cost does not grow with the string. Go strings are
// immutable and a cached address keeps its bytes alive, so two strings with
// the same address and length hold the same bytes, and a hit is exact.
//
// Label values use a narrower memo of their own (metrics' valueMemo: one
// word per entry, a 10-bit index), which a label's small value set allows.
package stringcache
