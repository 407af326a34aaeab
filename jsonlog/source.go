package jsonlog

import (
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
)

// sourceSlots is the size of the source cache, a power of two. A program has
// a fixed set of logging call sites, so the size is a guard, not a working
// limit: a site that finds no free slot within maxSourceProbe of its hash is
// resolved on every line (and allocates) instead of cached.
const (
	sourceBits     = 13
	sourceSlots    = 1 << sourceBits
	maxSourceProbe = 32
)

// sourceSite is one logging call site, resolved once: its function, file and
// line, and the fields AddSource writes for it in each format, already
// encoded.
type sourceSite struct {
	pc             uintptr
	function, file string
	line           int
	flat, ecs      []byte
}

// sourceCache maps a record's program counter to its call site: an
// open-addressed table of atomic pointers, read without a lock and filled by
// compare-and-swap. It keeps AddSource free of allocations on every line
// after a site's first (runtime.CallersFrames allocates each time).
type sourceCache struct {
	slots [sourceSlots]atomic.Pointer[sourceSite]
}

// sources is shared by every Handler: a call site is the same whatever
// handler logs it. Its 64 KiB are untouched until a handler with AddSource
// logs.
var sources sourceCache

// site returns the call site of pc, which must not be 0.
func (c *sourceCache) site(pc uintptr) *sourceSite {
	var resolved *sourceSite
	h := uint64(pc) * 0x9e3779b97f4a7c15 >> (64 - sourceBits) // Fibonacci hashing
	for i := uint64(0); i < maxSourceProbe; i++ {
		slot := &c.slots[(h+i)&(sourceSlots-1)]
		s := slot.Load()
		if s == nil {
			if resolved == nil {
				resolved = resolveSite(pc)
			}
			if slot.CompareAndSwap(nil, resolved) {
				return resolved
			}
			s = slot.Load() // another goroutine filled the slot first
		}
		if s.pc == pc {
			return s
		}
	}
	if resolved == nil {
		resolved = resolveSite(pc)
	}
	return resolved
}

func resolveSite(pc uintptr) *sourceSite {
	fr, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	s := &sourceSite{pc: pc, function: fr.Function, file: fr.File, line: fr.Line}

	s.flat = s.encode(flatSourceFunction, flatSourceFile, flatSourceLine, flatSourceEnd)
	s.ecs = s.encode(ecsSourceFunction, ecsSourceFile, ecsSourceLine, "")
	return s
}

func (s *sourceSite) encode(kFunction, kFile, kLine, end string) []byte {
	b := append([]byte(nil), kFunction...)
	b = jsonenc.AppendString(b, s.function)
	b = append(b, kFile...)
	b = jsonenc.AppendString(b, s.file)
	b = append(b, kLine...)
	b = strconv.AppendInt(b, int64(s.line), 10)
	return append(b, end...)
}

// The keys of the source fields, in each format.
const (
	flatSourceFunction = `,"source":{"function":`
	flatSourceFile     = `,"file":`
	flatSourceLine     = `,"line":`
	flatSourceEnd      = `}`
	ecsSourceFunction  = `,"log.origin.function":`
	ecsSourceFile      = `,"log.origin.file.name":`
	ecsSourceLine      = `,"log.origin.file.line":`
)

// source writes the record's call site in the handler's format: the cached
// fragment whole when it fits, or else fields cut to the room left under the
// line limit (see limitedSource).
func (h *Handler) source(e *encoder, pc uintptr) {
	s := sources.site(pc)
	frag := s.ecs
	if h.format == Flat {
		frag = s.flat
	}
	if e.limit <= 0 || len(e.buf)+len(frag) <= e.limit-lineReserve-1 {
		e.buf = append(e.buf, frag...)
		return
	}
	if h.format == Flat {
		limitedSource(e, s, flatSourceFunction, flatSourceFile, flatSourceLine, flatSourceEnd)
	} else {
		limitedSource(e, s, ecsSourceFunction, ecsSourceFile, ecsSourceLine, "")
	}
}

// limitedSource writes the call site under the line limit: the function and
// the file share the room left, each cut with the truncation marker, and the
// line number is whole. With too little room for that it writes nothing and
// counts the fields as dropped, which marks the line _truncated.
func limitedSource(e *encoder, s *sourceSite, kFunction, kFile, kLine, end string) {
	const lineDigits = 20
	tail := 1 + len(kLine) + lineDigits + len(end) // after the file: its closing quote, the line
	max := e.limit - lineReserve - 1
	room := max - len(e.buf) - len(kFunction) - len(kFile) - 3 - tail
	if room < 2*len(TruncationMarker) {
		e.dropped++
		return
	}
	e.buf = append(e.buf, kFunction...)
	e.strMax(s.function, len(e.buf)+1+room/2)
	e.buf = append(e.buf, kFile...)
	e.strMax(s.file, max-tail)
	e.buf = append(e.buf, kLine...)
	e.buf = strconv.AppendInt(e.buf, int64(s.line), 10)
	e.buf = append(e.buf, end...)
}
