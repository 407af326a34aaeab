package metrics_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

func TestEventNamesRoundTrip(t *testing.T) {
	wire := regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
	for _, d := range metrics.Descriptors() {
		if got, ok := metrics.Describe(d.Event); !ok || got != d {
			t.Fatalf("Describe(%d) = %v, %v", d.Event, got, ok)
		}
		if !wire.MatchString(d.Wire) {
			t.Errorf("%s: wire name %q is not dotted snake_case", d.Name, d.Wire)
		}
		if d.Event.String() != d.Wire {
			t.Errorf("%s.String() = %q, want %q", d.Name, d.Event.String(), d.Wire)
		}
		if got, ok := d.Catalog.Lookup(d.Wire); !ok || got != d {
			t.Errorf("Lookup(%q) = %v, %v", d.Wire, got, ok)
		}
	}
	if got := metrics.EventOf[shardyfusion.ShardWriteCompleted]().String(); got != "write.shard.completed" {
		t.Errorf("EventOf[ShardWriteCompleted]().String() = %q", got)
	}
}

func TestUnknownEvents(t *testing.T) {
	for _, ev := range []metrics.Event{0, 9999, ^metrics.Event(0)} {
		if ev.Known() {
			t.Errorf("Event(%d).Known() = true", ev)
		}
		if _, ok := metrics.Describe(ev); ok {
			t.Errorf("Describe(%d) found a descriptor", ev)
		}
		if !strings.HasPrefix(ev.String(), "Event(") {
			t.Errorf("Event(%d).String() = %q", ev, ev.String())
		}
	}
	if _, ok := shardyfusion.Catalog.Lookup("write.nope"); ok {
		t.Error("Lookup found an undeclared wire name")
	}
	type neverDeclared struct{ N int }
	if metrics.EventOf[neverDeclared]() != 0 || metrics.TypeOf[neverDeclared]() != nil {
		t.Error("an undeclared type has an event")
	}
}
