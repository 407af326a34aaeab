package metrics

import (
	"testing"
	"unsafe"
)

// TestPayloadSizeIsAMultipleOf16 keeps Payload copies free of overlapping
// 16-byte moves, which stall store forwarding when a collector passes on a
// payload it was just handed (see the Payload doc comment).
func TestPayloadSizeIsAMultipleOf16(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is tuned for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Payload{}); got != 128 {
		t.Fatalf("unsafe.Sizeof(Payload{}) = %d, want 128: keep it a multiple of 16 and update the Payload doc comment", got)
	}
}
