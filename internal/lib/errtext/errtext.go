package errtext

import (
	"fmt"
	"reflect"
)

// Message returns err.Error(), or "!PANIC in Error: …" when Error panics
// (a nil pointer receiver, say).
func Message(err error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = Panic("Error", r)
		}
	}()
	return err.Error()
}

// Type returns the Go type of err, such as "*fs.PathError".
func Type(err error) string { return reflect.TypeOf(err).String() }

// Panic returns "!PANIC in method: r" (fmt reports a value whose own
// String panics), or "!PANIC in method" should formatting r panic anyway.
func Panic(method string, r any) (s string) {
	defer func() {
		if recover() != nil {
			s = "!PANIC in " + method
		}
	}()
	return fmt.Sprintf("!PANIC in %s: %v", method, r)
}
