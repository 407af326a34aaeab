package jaeger_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/jaeger"
)

// TestStartAnswersAndStops: Jaeger starts on free ports, answers its query
// API (no such trace, in Jaeger's words), and stops within a second.
func TestStartAnswersAndStops(t *testing.T) {
	j := jaeger.Start(t)
	if !strings.HasPrefix(j.Query, "http://127.0.0.1:") || !strings.HasPrefix(j.OTLPGRPC, "127.0.0.1:") {
		t.Errorf("addresses %q %q are not on 127.0.0.1", j.Query, j.OTLPGRPC)
	}
	_, err := j.Trace(context.Background(), "0123456789abcdef0123456789abcdef", 1, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("an unknown trace: %v, want a 404", err)
	}
	start := time.Now()
	j.Stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Stop took %v", d)
	}
}
