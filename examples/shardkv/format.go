package shardkv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sort"
)

// The shard file format (version 1). Every integer is little-endian; uvarint
// is encoding/binary's unsigned varint.
//
//	data    one record per key, in key order:
//	          uvarint key length | uvarint value length | key | value
//	index   one entry per key, in key order:
//	          uvarint key length | key | uvarint value offset | uvarint value length
//	footer  40 bytes:
//	          magic "SKVSHRD1" | u64 data length | u64 index length | u64 key count |
//	          u32 CRC-32C of data | u32 CRC-32C of index
//
// A reader loads the footer and the index into memory, checks both CRCs, and
// serves a lookup with a binary search of the index and one ReadAt of the
// value.
const (
	shardMagic  = "SKVSHRD1"
	footerSize  = 8 + 8 + 8 + 8 + 4 + 4
	formatName  = "shardkv/1"
	hashName    = "fnv1a64"
	checkChunks = 256 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by every error about a shard file or manifest that
// does not hold what it should.
var ErrCorrupt = errors.New("shardkv: corrupt snapshot")

// shardOf returns the shard a key belongs to: FNV-1a 64 of the key, modulo
// the number of shards.
func shardOf(key []byte, n int) int {
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return int(h % uint64(n))
}

// encoder builds one shard file in memory. Keys must be added in increasing
// order.
type encoder struct {
	data  []byte
	index []byte
	count uint64
}

func newEncoder(dataHint, indexHint int) *encoder {
	return &encoder{data: make([]byte, 0, dataHint), index: make([]byte, 0, indexHint)}
}

func (e *encoder) add(key, val []byte) {
	e.data = binary.AppendUvarint(e.data, uint64(len(key)))
	e.data = binary.AppendUvarint(e.data, uint64(len(val)))
	e.data = append(e.data, key...)
	off := len(e.data)
	e.data = append(e.data, val...)
	e.index = binary.AppendUvarint(e.index, uint64(len(key)))
	e.index = append(e.index, key...)
	e.index = binary.AppendUvarint(e.index, uint64(off))
	e.index = binary.AppendUvarint(e.index, uint64(len(val)))
	e.count++
}

// finish returns the complete file and its CRC-32C.
func (e *encoder) finish() (file []byte, crc uint32) {
	out := make([]byte, 0, len(e.data)+len(e.index)+footerSize)
	out = append(out, e.data...)
	out = append(out, e.index...)
	out = append(out, shardMagic...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(e.data)))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(e.index)))
	out = binary.LittleEndian.AppendUint64(out, e.count)
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(e.data, castagnoli))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(e.index, castagnoli))
	return out, crc32.Checksum(out, castagnoli)
}

// shardFile is one open shard: its index in memory, its values on disk.
type shardFile struct {
	obj  Object
	name string
	keys []byte   // every key, concatenated in order
	ends []uint32 // ends[i] is where key i ends in keys
	voff []uint64
	vlen []uint32
}

func (s *shardFile) key(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.keys[start:s.ends[i]]
}

// get looks key up: a binary search of the index, then one read of the value.
func (s *shardFile) get(key []byte) ([]byte, bool, error) {
	n := len(s.ends)
	i := sort.Search(n, func(i int) bool { return bytes.Compare(s.key(i), key) >= 0 })
	if i == n || !bytes.Equal(s.key(i), key) {
		return nil, false, nil
	}
	v := make([]byte, s.vlen[i])
	if len(v) > 0 {
		if _, err := s.obj.ReadAt(v, int64(s.voff[i])); err != nil {
			return nil, false, fmt.Errorf("shardkv: read %s: %w", s.name, err)
		}
	}
	return v, true, nil
}

func (s *shardFile) close() error { return s.obj.Close() }

// openShard opens the shard object name, checks it against what the manifest
// says about it, and loads its index.
func openShard(ctx context.Context, st Storage, info ShardInfo) (_ *shardFile, err error) {
	obj, err := st.Open(ctx, info.Object)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			obj.Close()
		}
	}()
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, info.Object, fmt.Sprintf(format, args...))
	}
	size := obj.Size()
	if size != info.Bytes {
		return nil, corrupt("size %d, manifest says %d", size, info.Bytes)
	}
	if size < footerSize {
		return nil, corrupt("too short for a footer (%d bytes)", size)
	}
	var footer [footerSize]byte
	if _, err := obj.ReadAt(footer[:], size-footerSize); err != nil {
		return nil, fmt.Errorf("shardkv: read %s: %w", info.Object, err)
	}
	if string(footer[:8]) != shardMagic {
		return nil, corrupt("bad magic %q", footer[:8])
	}
	dataLen := binary.LittleEndian.Uint64(footer[8:])
	indexLen := binary.LittleEndian.Uint64(footer[16:])
	count := binary.LittleEndian.Uint64(footer[24:])
	dataCRC := binary.LittleEndian.Uint32(footer[32:])
	indexCRC := binary.LittleEndian.Uint32(footer[36:])
	if dataLen > uint64(size) || indexLen > uint64(size) || dataLen+indexLen+footerSize != uint64(size) || count > math.MaxUint32 {
		return nil, corrupt("footer lengths %d+%d do not fit a %d-byte object", dataLen, indexLen, size)
	}
	if count != uint64(info.Rows) {
		return nil, corrupt("%d keys, manifest says %d", count, info.Rows)
	}
	// One pass over the object checks the manifest's CRC of the whole file
	// and the footer's CRC of the data block.
	whole := crc32.New(castagnoli)
	data := crc32.New(castagnoli)
	buf := make([]byte, checkChunks)
	for off := uint64(0); off < uint64(size); {
		n := min(uint64(len(buf)), uint64(size)-off)
		if _, err := obj.ReadAt(buf[:n], int64(off)); err != nil {
			return nil, fmt.Errorf("shardkv: read %s: %w", info.Object, err)
		}
		whole.Write(buf[:n])
		if off < dataLen {
			data.Write(buf[:min(n, dataLen-off)])
		}
		off += n
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if whole.Sum32() != info.CRC32C {
		return nil, corrupt("CRC-32C %08x, manifest says %08x", whole.Sum32(), info.CRC32C)
	}
	if data.Sum32() != dataCRC {
		return nil, corrupt("data block CRC mismatch")
	}
	index := make([]byte, indexLen)
	if _, err := obj.ReadAt(index, int64(dataLen)); err != nil {
		return nil, fmt.Errorf("shardkv: read %s: %w", info.Object, err)
	}
	if crc32.Checksum(index, castagnoli) != indexCRC {
		return nil, corrupt("index block CRC mismatch")
	}
	s := &shardFile{
		obj:  obj,
		name: info.Object,
		keys: make([]byte, 0, len(index)),
		ends: make([]uint32, 0, count),
		voff: make([]uint64, 0, count),
		vlen: make([]uint32, 0, count),
	}
	var prev []byte
	for p := index; len(p) > 0; {
		klen, n := binary.Uvarint(p)
		if n <= 0 || uint64(len(p)-n) < klen {
			return nil, corrupt("bad index entry %d", len(s.ends))
		}
		key := p[n : n+int(klen)]
		p = p[n+int(klen):]
		off, n1 := binary.Uvarint(p)
		if n1 <= 0 {
			return nil, corrupt("bad index entry %d", len(s.ends))
		}
		p = p[n1:]
		vlen, n2 := binary.Uvarint(p)
		if n2 <= 0 {
			return nil, corrupt("bad index entry %d", len(s.ends))
		}
		p = p[n2:]
		if off+vlen > dataLen || vlen > math.MaxUint32 {
			return nil, corrupt("index entry %d points outside the data block", len(s.ends))
		}
		if len(s.ends) > 0 && bytes.Compare(prev, key) >= 0 {
			return nil, corrupt("index keys out of order at entry %d", len(s.ends))
		}
		prev = key
		s.keys = append(s.keys, key...)
		if uint64(len(s.keys)) > math.MaxUint32 {
			return nil, corrupt("index too large")
		}
		s.ends = append(s.ends, uint32(len(s.keys)))
		s.voff = append(s.voff, off)
		s.vlen = append(s.vlen, uint32(vlen))
	}
	if uint64(len(s.ends)) != count {
		return nil, corrupt("index holds %d keys, footer says %d", len(s.ends), count)
	}
	return s, nil
}
