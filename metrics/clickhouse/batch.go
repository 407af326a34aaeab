package clickhouse

import (
	"io"
	"sync"
	"time"
)

// A batch's rows are encoded into chunks of chunkSize bytes from a pool,
// never into one growing buffer: a batch of 50,000 rows is about 12 MB,
// and growing one slice to that size would copy it over and over.
const (
	chunkSize = 256 << 10
	// chunkRoom is what a chunk must have left for another row; a longer
	// row grows its chunk (and that chunk goes back to the pool too).
	chunkRoom = 16 << 10
)

var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, 0, chunkSize)
	return &b
}}

// batch is a run of encoded rows, and the Flush calls waiting for it.
type batch struct {
	chunks  [][]byte
	size    int // bytes in chunks
	rows    int
	first   time.Time // when its first row was encoded
	layout  *layout
	flushes []chan struct{}
}

// tail returns the chunk the next row goes into, starting a chunk when
// the last one has no room left.
func (b *batch) tail() []byte {
	if n := len(b.chunks); n > 0 {
		if last := b.chunks[n-1]; cap(last)-len(last) >= chunkRoom {
			return last
		}
	}
	b.chunks = append(b.chunks, (*chunkPool.Get().(*[]byte))[:0])
	return b.chunks[len(b.chunks)-1]
}

// reset empties b, returning its chunks to the pool.
func (b *batch) reset() {
	for i, c := range b.chunks {
		c = c[:0]
		chunkPool.Put(&c)
		b.chunks[i] = nil
	}
	b.chunks, b.size, b.rows, b.flushes = b.chunks[:0], 0, 0, b.flushes[:0]
}

// reader returns a reader of b's bytes.
func (b *batch) reader() io.Reader { return &chunkReader{chunks: b.chunks} }

// chunkReader reads a batch's chunks in turn.
type chunkReader struct {
	chunks [][]byte
	off    int // in chunks[0]
}

func (r *chunkReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(r.chunks) > 0 {
		c := copy(p[n:], r.chunks[0][r.off:])
		n += c
		r.off += c
		if r.off == len(r.chunks[0]) {
			r.chunks, r.off = r.chunks[1:], 0
		}
	}
	if n == 0 && len(r.chunks) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// WriteTo writes the chunks as they are, with no copy.
func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(r.chunks) > 0 {
		n, err := w.Write(r.chunks[0][r.off:])
		total += int64(n)
		if err != nil {
			r.off += n
			return total, err
		}
		r.chunks, r.off = r.chunks[1:], 0
	}
	return total, nil
}
