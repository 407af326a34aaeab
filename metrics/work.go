package metrics

import (
	"errors"
	"fmt"
)

// Work is what an event tells of its run's progress, declared in its Spec
// (Spec.Work) so that any application gets progress and an ETA from the
// events it already emits (metrics/progress). Work is counted in a unit a
// person cares about (rows, bytes, inputs), never in tasks, and belongs to a
// stage of the run (sharding, writing; scanning): a run's progress is its
// stages' progress, each weighed by the share of a run's time it takes.
//
// An event can announce how much work a stage (or one part of it) has
// (Total), add work done (Done), complete a part (Complete: its done work
// becomes its total), or restart a part (Restart: an attempt failed, and
// the work done in it is not progress).
type Work struct {
	// Stage names the stage of the run the work belongs to.
	Stage string
	// Unit names what is counted: "rows", "bytes", "inputs".
	Unit string
	// Total names an integer field: the stage's total work (the part's,
	// when Part is set). A later announcement replaces an earlier one.
	Total string
	// Done names an integer field: work done, added to the stage's (the
	// part's).
	Done string
	// Part names an integer or string field that tells the parts of the
	// stage apart (db_id, node_id): a part's done work counts at most its
	// total, and Complete and Restart act on it.
	Part string
	// Complete marks the part (or the stage) done: its done work becomes
	// its total (Done's value when the total was never announced).
	Complete bool
	// Restart marks the part's work so far as lost: a failed attempt that
	// will be tried again. Its done work goes back to zero.
	Restart bool
}

// resolve checks w against the event's fields.
func (w *Work) resolve(d *Descriptor) error {
	if w.Stage == "" || w.Unit == "" {
		return errors.New("Stage and Unit are required")
	}
	if w.Total == "" && w.Done == "" && !w.Complete && !w.Restart {
		return errors.New("it says nothing: set Total, Done, Complete or Restart")
	}
	for _, name := range []string{w.Total, w.Done} {
		if name == "" {
			continue
		}
		f, ok := d.Field(name)
		if !ok {
			return fmt.Errorf("no field %q", name)
		}
		if f.Kind != KindInt && f.Kind != KindFloat {
			return fmt.Errorf("field %q is a %s, not a number", name, f.Kind)
		}
	}
	if w.Part != "" {
		f, ok := d.Field(w.Part)
		if !ok {
			return fmt.Errorf("no field %q", w.Part)
		}
		if f.Kind != KindInt && f.Kind != KindString {
			return fmt.Errorf("part field %q is a %s, not an integer or a string", w.Part, f.Kind)
		}
	}
	if w.Restart && w.Part == "" {
		return errors.New("Restart needs a Part")
	}
	return nil
}
