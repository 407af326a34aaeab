package runs

// This file reads an event log line by line into an accumulator.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
)

// scan reads a line into r and a.line, its members; an error when it is
// not a JSON object holding an event, with keys of the right types.
func (a *accumulator) scan(body []byte, r *record) error {
	if !json.Valid(body) {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return err // the decoder's words for what is wrong
		}
		return errors.New("not JSON")
	}
	var err error
	if a.line, err = jsonscan.Object(a.line[:0], body); err != nil {
		return err
	}
	if err := r.decode(a.line); err != nil {
		return err
	}
	if r.Event == "" {
		return errors.New("no event key")
	}
	return nil
}

// Option changes what Read reports.
type Option func(*accumulator)

// GroupBy makes the event table group an event's rows by these fields too
// (db_id, node_id), beside its labels: by default the table groups by
// labels only, so that the shards of a write are one row with their p50
// and p99 together.
func GroupBy(fields ...string) Option {
	return func(a *accumulator) {
		for _, f := range fields {
			a.by[f] = true
		}
	}
}

// ReadFile summarizes path: an events.jsonl, or a run directory holding one.
func ReadFile(path string, opts ...Option) (*Summary, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		path = filepath.Join(path, FileName)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := Read(f, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Path = path
	return s, nil
}

// Read summarizes an event log read from r. A last line without its newline
// that is not complete JSON (a torn write) is reported in Torn; complete
// lines that are not valid event-log JSON, or hold a value of the wrong
// type, are listed in Malformed. Both are ignored. It fails only when r
// fails or holds no valid line.
func Read(r io.Reader, opts ...Option) (*Summary, error) {
	a := newAccumulator()
	for _, o := range opts {
		if o != nil {
			o(a)
		}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	n := 0
	for {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			n++
			complete := raw[len(raw)-1] == '\n'
			body := bytes.TrimSpace(raw)
			if len(body) > 0 {
				var rec record
				jerr := a.scan(body, &rec)
				switch {
				case jerr == nil:
					a.add(&rec)
				case !complete:
					// Only the last line can lack its newline: a write cut
					// short by a crash.
					a.s.Torn = &Torn{Line: n, Bytes: len(body), Error: jerr.Error()}
				default:
					a.s.Malformed = append(a.s.Malformed, n)
					if a.s.MalformedError == "" {
						a.s.MalformedError = fmt.Sprintf("line %d: %v", n, jerr)
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	a.s.Lines = n
	if a.valid == 0 {
		return nil, errors.New("no event log line")
	}
	return a.finish(), nil
}
