package errtext_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/milestone-go/milestone/internal/lib/errtext"
)

type nilErr struct{ msg *string }

func (e *nilErr) Error() string { return *e.msg }

type badStringer struct{}

func (badStringer) String() string { panic("worse") }

func TestMessageTypeAndPanic(t *testing.T) {
	if got := errtext.Message(errors.New("boom")); got != "boom" {
		t.Errorf("Message = %q", got)
	}
	var e *nilErr
	if got := errtext.Message(e); got != "!PANIC in Error: runtime error: invalid memory address or nil pointer dereference" {
		t.Errorf("Message of a nil receiver = %q", got)
	}
	if got := errtext.Type(&fs.PathError{}); got != "*fs.PathError" {
		t.Errorf("Type = %q", got)
	}
	// fmt reports a panicking String itself; Panic never panics.
	if got := errtext.Panic("String", badStringer{}); got != "!PANIC in String: %!v(PANIC=String method: worse)" {
		t.Errorf("Panic of an unprintable value = %q", got)
	}
}
