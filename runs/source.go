package runs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/milestone-go/milestone/metrics/clickhouse"
)

// Source is where runs are read from: an event-log directory (Dir) or a
// ClickHouse table (ClickHouse). Both give a run as the lines
// metrics/eventlog writes, so everything this package computes is the same
// from either.
type Source interface {
	// List returns every run, oldest first.
	List(ctx context.Context) ([]RunInfo, error)
	// Open returns the event-log lines of the run with id (a run id, or an
	// event-log directory's name for it); an error wrapping ErrNotFound
	// when there is none, or ErrBadID when id cannot be one (in a
	// directory: see CheckID).
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	// String names the source for messages.
	String() string
}

// ErrNotFound is what Open's error wraps when the source has no such run.
var ErrNotFound = errors.New("no such run")

// ErrBadID is what Open's error wraps when id cannot name a run: it is
// empty, "." or "..", or holds a character other than letters, digits and
// ._:- (a path separator, say).
var ErrBadID = errors.New("not a run id")

var idRE = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// CheckID returns an error wrapping ErrBadID when id cannot name a run.
func CheckID(id string) error {
	if !idRE.MatchString(id) || id == "." || id == ".." {
		return fmt.Errorf("%q: %w", id, ErrBadID)
	}
	return nil
}

// Dir returns the Source of the event-log directory path: a subdirectory
// per run holding its events.jsonl, as metrics/eventlog writes them.
func Dir(path string) Source { return &dirSource{path: path} }

type dirSource struct {
	path    string
	glances glanceCache // see Glance
}

func (d *dirSource) String() string { return d.path }

func (d *dirSource) List(context.Context) ([]RunInfo, error) { return ListRuns(d.path) }

// Open opens id's events.jsonl. The file must be inside the directory once
// symbolic links are resolved: a link out of it is refused as not found.
func (d *dirSource) Open(_ context.Context, id string) (io.ReadCloser, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(d.path)
	if err != nil {
		return nil, err
	}
	path, err := d.resolve(root, id)
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

// resolve returns the path of the run id's events.jsonl with symbolic
// links resolved, root being the directory's: an error wrapping
// ErrNotFound when there is none, or when it is outside the directory.
func (d *dirSource) resolve(root, id string) (string, error) {
	path, err := filepath.EvalSymlinks(filepath.Join(root, id, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("run %s in %s: %w", id, d.path, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(root, path); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("run %s in %s: %w (its file is outside the directory)", id, d.path, ErrNotFound)
	}
	return path, nil
}

// Sizer is a Source that can tell how long a run's log is now, cheaply:
// the explorer watches a run that is being written with it. Dir's source
// is one (the file's size), and so is ClickHouse's (the run's row count).
type Sizer interface {
	Size(ctx context.Context, id string) (int64, error)
}

// Size returns the size of id's events.jsonl.
func (d *dirSource) Size(ctx context.Context, id string) (int64, error) {
	f, err := d.Open(ctx, id)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.(*os.File).Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// ClickHouse returns the Source of a table metrics/clickhouse writes; the
// options are clickhouse.New's (only the connection and table ones
// matter).
func ClickHouse(opts ...clickhouse.Option) Source {
	return chSource{opts: opts, sizes: &sizeMemo{m: map[string]countedSize{}}}
}

type chSource struct {
	opts  []clickhouse.Option
	sizes *sizeMemo // see Size
}

func (c chSource) String() string { return "ClickHouse" }

func (c chSource) List(ctx context.Context) ([]RunInfo, error) {
	return c.list(ctx, func(r io.Reader) (*Summary, error) { return Read(r) })
}

// list reads the runs' rows a run at a time and makes each a RunInfo with
// read (Read or Glance): it holds one run's rows, whatever the table's
// size.
func (c chSource) list(ctx context.Context, read func(io.Reader) (*Summary, error)) ([]RunInfo, error) {
	var list []RunInfo
	err := clickhouse.EachRun(ctx, func(id string, lines []byte) error {
		s, err := read(bytes.NewReader(lines))
		list = append(list, InfoFrom(id, s, err))
		return nil
	}, c.opts...)
	if err != nil {
		return nil, err
	}
	SortRuns(list)
	return list, nil
}

func (c chSource) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	if id == "" {
		return nil, fmt.Errorf("%q: %w", id, ErrBadID)
	}
	lines, err := clickhouse.ReadRun(ctx, id, c.opts...)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("run %s in ClickHouse: %w", id, ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(lines)), nil
}

// Summarize reads run id from src and returns its report.
func Summarize(ctx context.Context, src Source, id string, opts ...Option) (*Summary, error) {
	rc, err := src.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return Read(rc, opts...)
}
