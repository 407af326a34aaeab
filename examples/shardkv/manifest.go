package shardkv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// CurrentName is the object that names the published snapshot: it holds the
// manifest's object name and a newline. It is replaced atomically, so a
// reader always finds a complete snapshot behind it.
const CurrentName = "CURRENT"

// runsDir holds one directory per write: runs/<run_id>/.
const runsDir = "runs"

// ErrNoSnapshot is returned by Open when the directory holds no published
// snapshot (no CURRENT object).
var ErrNoSnapshot = errors.New("shardkv: no published snapshot")

// Manifest describes one snapshot: the shards a write produced and how keys
// map to them. It is stored as JSON next to the shards.
type Manifest struct {
	// Format is the shard file format, "shardkv/1".
	Format string `json:"format"`
	// RunID identifies the write that produced the snapshot.
	RunID string `json:"run_id"`
	// Created is when the manifest was written.
	Created time.Time `json:"created"`
	// Hash names the function mapping a key to its shard: "fnv1a64", the
	// key's 64-bit FNV-1a hash modulo NumShards.
	Hash string `json:"hash"`
	// NumShards is the number of shards.
	NumShards int `json:"num_shards"`
	// Rows is the number of keys in the snapshot.
	Rows int64 `json:"rows"`
	// Shards describes each shard, indexed by db_id.
	Shards []ShardInfo `json:"shards"`
}

// ShardInfo describes one shard object of a snapshot.
type ShardInfo struct {
	// DBID is the shard number, from 0.
	DBID int `json:"db_id"`
	// Object is the shard's object name.
	Object string `json:"object"`
	// Rows is the number of keys in the shard.
	Rows int64 `json:"rows"`
	// Bytes is the object's size.
	Bytes int64 `json:"bytes"`
	// CRC32C is the CRC-32C (Castagnoli) of the whole object.
	CRC32C uint32 `json:"crc32c"`
}

func manifestName(runID string) string { return path.Join(runsDir, runID, "manifest.json") }

func shardName(runID string, id int) string {
	return path.Join(runsDir, runID, fmt.Sprintf("shard-%05d.skv", id))
}

// validate checks that m is a manifest this package can read.
func (m *Manifest) validate(name string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: manifest %s: %s", ErrCorrupt, name, fmt.Sprintf(format, args...))
	}
	switch {
	case m.Format != formatName:
		return bad("format %q, want %q", m.Format, formatName)
	case m.Hash != hashName:
		return bad("hash %q, want %q", m.Hash, hashName)
	case m.NumShards < 1 || len(m.Shards) != m.NumShards:
		return bad("%d shards listed for num_shards %d", len(m.Shards), m.NumShards)
	}
	var rows int64
	for i, s := range m.Shards {
		if s.DBID != i {
			return bad("shard %d has db_id %d", i, s.DBID)
		}
		rows += s.Rows
	}
	if rows != m.Rows {
		return bad("shards hold %d rows, manifest says %d", rows, m.Rows)
	}
	return nil
}

// loadCurrent returns the manifest name CURRENT points to.
func loadCurrent(ctx context.Context, st Storage) (string, error) {
	b, err := st.Get(ctx, CurrentName)
	if notExist(err) {
		return "", ErrNoSnapshot
	}
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if name == "" || !strings.HasPrefix(name, runsDir+"/") {
		return "", fmt.Errorf("%w: CURRENT holds %q", ErrCorrupt, b)
	}
	return name, nil
}

func loadManifest(ctx context.Context, st Storage, name string) (*Manifest, error) {
	b, err := st.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest %s: %v", ErrCorrupt, name, err)
	}
	if err := m.validate(name); err != nil {
		return nil, err
	}
	return &m, nil
}

// NewRunID returns a new run id: the UTC time to the millisecond and 6
// random hex digits, so ids sort by time.
func NewRunID() string {
	var b [3]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// validRunID reports whether id can name a run directory.
func validRunID(id string) bool {
	if id == "" || id == "." || id == ".." || strings.HasPrefix(id, tempPrefix) {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Prune deletes the runs in dir that are neither the published snapshot nor
// among the keep newest runs (by run id, which sorts by time), and returns
// the run ids it removed. Runs left behind by failed or interrupted writes
// are removed the same way. A reader still holding files of a pruned run
// keeps reading them until it refreshes (the files stay open).
func Prune(ctx context.Context, dir string, keep int) ([]string, error) {
	if keep < 0 {
		return nil, fmt.Errorf("shardkv: Prune: keep must not be negative, got %d", keep)
	}
	ds, err := NewDirStorage(dir)
	if err != nil {
		return nil, err
	}
	cur, err := loadCurrent(ctx, ds)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(dir, runsDir))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && validRunID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	slices.Sort(ids)
	var removed []string
	for i, id := range ids {
		if len(ids)-i <= keep || cur == manifestName(id) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if err := os.RemoveAll(filepath.Join(dir, runsDir, id)); err != nil {
			return removed, err
		}
		removed = append(removed, id)
	}
	return removed, nil
}
