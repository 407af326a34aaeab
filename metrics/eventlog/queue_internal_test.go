package eventlog

import (
	"testing"
	"unsafe"
)

// TestQueueEntrySizeMatchesDocs keeps WithQueueSize's memory figure true.
func TestQueueEntrySizeMatchesDocs(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the documented size is for 64-bit platforms")
	}
	if got := unsafe.Sizeof(message{}); got != 200 {
		t.Fatalf("unsafe.Sizeof(message{}) = %d, want the 200 bytes WithQueueSize documents; update its doc comment", got)
	}
}
