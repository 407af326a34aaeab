package pty_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/pty"
	"github.com/milestone-go/milestone/metrics/progress"
)

func TestOpen(t *testing.T) {
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	if !progress.IsTerminal(tty) {
		t.Error("the pseudo-terminal is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if progress.IsTerminal(f) || progress.IsTerminal(&bytes.Buffer{}) {
		t.Error("a file or a buffer is a terminal")
	}
	if _, err := tty.Write([]byte("hello\r\n")); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	b := make([]byte, 64)
	n, err := master.Read(b)
	if err != nil && err != io.EOF || !bytes.Contains(b[:n], []byte("hello")) {
		t.Errorf("read %q, %v", b[:n], err)
	}
}
