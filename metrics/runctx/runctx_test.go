package runctx_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics/runctx"
)

func TestWithBindsTheRunForSinksAndLogs(t *testing.T) {
	ctx := runctx.With(context.Background(), "r1")
	if id, ok := runctx.ID(ctx); !ok || id != "r1" {
		t.Errorf("ID = %q, %v", id, ok)
	}
	// Log lines carry it too.
	if v, ok := logctx.Lookup(ctx, runctx.Field); !ok || v.String() != "r1" {
		t.Errorf("logctx run_id = %v, %v", v, ok)
	}
	// An inner run wins over the outer one and over a logctx field.
	inner := runctx.With(logctx.With(ctx, "run_id", "from-field"), "r2")
	if id, _ := runctx.ID(inner); id != "r2" {
		t.Errorf("inner ID = %q, want r2", id)
	}
	if id, _ := runctx.ID(ctx); id != "r1" {
		t.Errorf("outer ID changed to %q", id)
	}
	if got := runctx.With(ctx, ""); got != ctx {
		t.Error("an empty id changed the context")
	}
}

func TestIDFallsBackToTheLogField(t *testing.T) {
	var none context.Context // a nil context is accepted
	if _, ok := runctx.ID(none); ok {
		t.Error("a nil context has a run")
	}
	if _, ok := runctx.ID(context.Background()); ok {
		t.Error("an empty context has a run")
	}
	ctx := logctx.With(context.Background(), "run_id", 42, "query_id", "q7")
	if id, ok := runctx.ID(ctx); !ok || id != "42" {
		t.Errorf("ID from an int field = %q, %v", id, ok)
	}
	if id, ok := runctx.IDOr(ctx, "query_id"); !ok || id != "q7" {
		t.Errorf("IDOr(query_id) = %q, %v", id, ok)
	}
	if id, _ := runctx.IDOr(runctx.With(ctx, "bound"), "query_id"); id != "bound" {
		t.Errorf("IDOr with a bound run = %q, want the bound one", id)
	}
	if allocs := testing.AllocsPerRun(100, func() { runctx.ID(ctx) }); allocs != 0 {
		t.Errorf("ID allocates %v times for a formatted field, want 0 after the first", allocs)
	}
}

func TestNewIDIsReadable(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]+-[a-z]+-[0-9a-f]{6}$`)
	seen := map[string]bool{}
	for range 50 {
		id := runctx.NewID()
		if !re.MatchString(id) {
			t.Fatalf("NewID() = %q", id)
		}
		seen[id] = true
	}
	if len(seen) < 45 {
		t.Errorf("%d distinct ids of 50", len(seen))
	}
}
