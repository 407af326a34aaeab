package shardkv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Storage is the object store a snapshot lives in: whole objects are put and
// got by name, and shard objects are opened for ranged reads. Names are
// slash-separated relative paths such as "runs/<run_id>/shard-00003.skv".
//
// DirStorage keeps objects as files in a local directory. Any Storage may
// fail with a transient error (see IsTransient); Write and Open retry those
// with a delay, emitting s3.retry and s3.retry_exhausted.
type Storage interface {
	// Put stores data under name, replacing any earlier object atomically:
	// a reader sees the old object or the new one, never a part.
	Put(ctx context.Context, name string, data []byte) error
	// Get returns the whole object stored under name. A missing object is
	// reported with an error that matches fs.ErrNotExist.
	Get(ctx context.Context, name string) ([]byte, error)
	// Open opens the object stored under name for ranged reads.
	Open(ctx context.Context, name string) (Object, error)
}

// Object is an opened object: ranged reads, its size, and Close.
type Object interface {
	io.ReaderAt
	io.Closer
	// Size returns the object's length in bytes.
	Size() int64
}

// DirStorage is a Storage on a local directory. Put writes a temporary file
// in the object's directory, fsyncs it, renames it over the object and
// fsyncs the directory, so an object is either absent, the old one or the
// complete new one, even if the process dies half-way.
type DirStorage struct {
	root string
}

// NewDirStorage returns a DirStorage rooted at dir, which is created when it
// does not exist.
func NewDirStorage(dir string) (*DirStorage, error) {
	if dir == "" {
		return nil, errors.New("shardkv: NewDirStorage: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("shardkv: NewDirStorage: %w", err)
	}
	return &DirStorage{root: dir}, nil
}

// Root returns the directory the storage is rooted at.
func (d *DirStorage) Root() string { return d.root }

// tempPrefix starts the name of every temporary file Put writes; readers and
// Prune ignore such files.
const tempPrefix = ".tmp-"

func (d *DirStorage) path(name string) (string, error) {
	if name == "" || path.IsAbs(name) || strings.Contains(name, "\\") || path.Clean(name) != name ||
		name == ".." || strings.HasPrefix(name, "../") || strings.HasPrefix(path.Base(name), tempPrefix) {
		return "", fmt.Errorf("shardkv: invalid object name %q", name)
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

// Put implements Storage.
func (d *DirStorage) Put(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := d.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return classify(err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(p)+"-*")
	if err != nil {
		return classify(err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return classify(err)
	}
	if err := f.Sync(); err != nil {
		return classify(err)
	}
	if err := f.Close(); err != nil {
		return classify(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return classify(err)
	}
	ok = true
	return syncDir(dir)
}

// Get implements Storage.
func (d *DirStorage) Get(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, classify(err)
	}
	return b, nil
}

// Open implements Storage.
func (d *DirStorage) Open(ctx context.Context, name string) (Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, classify(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, classify(err)
	}
	return &fileObject{File: f, size: st.Size()}, nil
}

type fileObject struct {
	*os.File
	size int64
}

func (o *fileObject) Size() int64 { return o.size }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return classify(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return classify(err)
	}
	return nil
}

// classify marks the operating-system errors worth retrying as transient.
func classify(err error) error {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EBUSY) {
		return &TransientError{Err: err}
	}
	return err
}

// Op names a Storage operation.
type Op uint8

// The Storage operations.
const (
	OpPut Op = iota + 1
	OpGet
	OpOpen
)

// String returns "put", "get" or "open".
func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpGet:
		return "get"
	case OpOpen:
		return "open"
	}
	return "op(" + fmt.Sprint(uint8(o)) + ")"
}

// TransientError is a storage failure that may succeed when tried again,
// such as a throttled or timed-out request.
type TransientError struct {
	// Op and Name say which request failed; both may be zero.
	Op   Op
	Name string
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *TransientError) Error() string {
	if e.Op == 0 {
		return "transient storage error: " + e.Err.Error()
	}
	return fmt.Sprintf("transient storage error: %s %s: %v", e.Op, e.Name, e.Err)
}

// Unwrap returns the underlying error.
func (e *TransientError) Unwrap() error { return e.Err }

// Temporary reports true: the request may succeed when tried again.
func (e *TransientError) Temporary() bool { return true }

// IsTransient reports whether err, or an error it wraps, is a transient
// storage error that a retry may cure.
func IsTransient(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// ErrInjected is the error wrapped by every fault that Faults injects.
var ErrInjected = errors.New("injected fault")

// Faults injects transient failures into storage requests, for tests and
// demos of the retry paths. Rules are checked in the order they were added;
// the first rule that matches a request and still has failures to give makes
// it fail with a *TransientError wrapping ErrInjected. A nil *Faults injects
// nothing. Faults is safe for concurrent use and may be shared by a writer
// and a reader.
type Faults struct {
	mu       sync.Mutex
	rules    []*faultRule
	injected int
}

type faultRule struct {
	op    Op
	match string
	left  int // failures left for a Fail rule; -1 for an Every rule
	every int // an Every rule fails every n-th matching request
	seen  int
}

// NewFaults returns a Faults with no rules.
func NewFaults() *Faults { return &Faults{} }

// Fail makes the next times requests of kind op whose object name contains
// match fail (match "" matches every name). It returns f, so rules chain.
func (f *Faults) Fail(op Op, match string, times int) *Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	if times > 0 {
		f.rules = append(f.rules, &faultRule{op: op, match: match, left: times})
	}
	return f
}

// Every makes every n-th request of kind op whose object name contains
// match fail, forever (n <= 0 adds no rule). It returns f, so rules chain.
func (f *Faults) Every(op Op, match string, n int) *Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > 0 {
		f.rules = append(f.rules, &faultRule{op: op, match: match, left: -1, every: n})
	}
	return f
}

// Injected returns how many failures have been injected so far.
func (f *Faults) Injected() int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected
}

// check returns the error to inject into a request, or nil.
func (f *Faults) check(op Op, name string) error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.op != op || !strings.Contains(name, r.match) {
			continue
		}
		if r.every > 0 {
			r.seen++
			if r.seen%r.every != 0 {
				continue
			}
		} else if r.left == 0 {
			continue
		} else {
			r.left--
		}
		f.injected++
		return &TransientError{Op: op, Name: name, Err: ErrInjected}
	}
	return nil
}

// faultyStorage injects the faults of f before each request reaches s.
type faultyStorage struct {
	s Storage
	f *Faults
}

func (fs *faultyStorage) Put(ctx context.Context, name string, data []byte) error {
	if err := fs.f.check(OpPut, name); err != nil {
		return err
	}
	return fs.s.Put(ctx, name, data)
}

func (fs *faultyStorage) Get(ctx context.Context, name string) ([]byte, error) {
	if err := fs.f.check(OpGet, name); err != nil {
		return nil, err
	}
	return fs.s.Get(ctx, name)
}

func (fs *faultyStorage) Open(ctx context.Context, name string) (Object, error) {
	if err := fs.f.check(OpOpen, name); err != nil {
		return nil, err
	}
	return fs.s.Open(ctx, name)
}

// RetryPolicy says how often and how patiently a failed step is tried again:
// at most MaxAttempts attempts in all, waiting BaseDelay after the first
// failure and doubling the wait after each further one, up to MaxDelay.
// The zero value of a field means its default, as documented where the
// policy is used.
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

func (p RetryPolicy) withDefaults(attempts int, base, max time.Duration) RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = attempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = base
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max
	}
	return p
}

func (p RetryPolicy) validate(option string) error {
	switch {
	case p.MaxAttempts < 0:
		return fmt.Errorf("shardkv: %s.MaxAttempts must be >= 1, got %d", option, p.MaxAttempts)
	case p.BaseDelay < 0:
		return fmt.Errorf("shardkv: %s.BaseDelay must not be negative, got %v", option, p.BaseDelay)
	case p.MaxDelay < 0:
		return fmt.Errorf("shardkv: %s.MaxDelay must not be negative, got %v", option, p.MaxDelay)
	}
	return nil
}

// delay returns the wait after the given failed attempt (1-based).
func (p RetryPolicy) delay(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExhaustedError is returned when a storage request failed transiently on
// every attempt its RetryPolicy allowed.
type ExhaustedError struct {
	Op       Op
	Name     string
	Attempts int
	// Err is the last attempt's error.
	Err error
}

// Error implements error.
func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("shardkv: %s %s failed after %d attempts: %v", e.Op, e.Name, e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *ExhaustedError) Unwrap() error { return e.Err }

// notExist reports whether err says an object does not exist.
func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
