package runs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A Glancer is a Source that can list its runs from a glance at each (see
// Glance): every RunInfo figure, with a Summary that holds only what
// Glance fills. It is what a page listing many long runs wants.
type Glancer interface {
	ListGlances(ctx context.Context) ([]RunInfo, error)
}

// ListGlances returns src's runs, oldest first, from its ListGlances when
// it is a Glancer and from List otherwise. Both Dir's and ClickHouse's
// sources are Glancers.
func ListGlances(ctx context.Context, src Source) ([]RunInfo, error) {
	if g, ok := src.(Glancer); ok {
		return g.ListGlances(ctx)
	}
	return src.List(ctx)
}

// ListGlances lists the directory's runs from a glance at each. The
// source remembers each run's glance with its file's size and time, so a
// second listing reads only the files that changed since: a directory of
// finished runs lists with one stat a run. A run whose log is a link out
// of the directory is not listed (Open refuses it too).
func (d *dirSource) ListGlances(ctx context.Context) ([]RunInfo, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(d.path)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(entries))
	var list []RunInfo
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !e.IsDir() {
			continue
		}
		runDir := filepath.Join(d.path, e.Name())
		path, err := d.resolve(root, e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // no log, or a link out of the directory
		}
		var st fs.FileInfo
		if err == nil {
			st, err = os.Stat(path)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		seen[runDir] = true
		if err != nil {
			list = append(list, InfoFrom(runDir, nil, err))
			continue
		}
		if ri, ok := d.glances.get(runDir, st); ok {
			list = append(list, ri)
			continue
		}
		s, err := glanceFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile: retention pruned it
		}
		ri := InfoFrom(runDir, s, err)
		if err == nil {
			d.glances.put(runDir, st, ri)
		}
		list = append(list, ri)
	}
	d.glances.keepOnly(seen)
	SortRuns(list)
	return list, nil
}

func glanceFile(path string) (*Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Glance(f)
}

// glanceCache remembers runs' glances by directory, each with the size
// and modification time its file had when it was stat'ed, before it was
// read: a file that grows while it is read is read again next time.
type glanceCache struct {
	mu sync.Mutex
	m  map[string]glanced
}

type glanced struct {
	size int64
	mod  time.Time
	info RunInfo
}

func (c *glanceCache) get(dir string, st fs.FileInfo) (RunInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.m[dir]
	if !ok || g.size != st.Size() || !g.mod.Equal(st.ModTime()) {
		return RunInfo{}, false
	}
	return g.info, true
}

func (c *glanceCache) put(dir string, st fs.FileInfo, ri RunInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]glanced{}
	}
	c.m[dir] = glanced{size: st.Size(), mod: st.ModTime(), info: ri}
}

// keepOnly forgets the runs that are gone from the directory.
func (c *glanceCache) keepOnly(seen map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for dir := range c.m {
		if !seen[dir] {
			delete(c.m, dir)
		}
	}
}
