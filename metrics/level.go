package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
)

// buildLevels checks Spec.LevelBy and Spec.Levels and builds the level of
// each index of the label.
func (d *Descriptor) buildLevels(by string, levels map[string]slog.Level) error {
	if by == "" {
		if len(levels) > 0 {
			return errors.New("Levels is set without LevelBy")
		}
		return nil
	}
	f, ok := d.Field(by)
	switch {
	case !ok:
		return fmt.Errorf("LevelBy %q is not a field of the event", by)
	case !f.IsLabel() || f.Label.Values == nil:
		return fmt.Errorf("LevelBy %q must be a label with a closed set (values=a|b)", by)
	case len(levels) == 0:
		return fmt.Errorf("LevelBy %q is set without Levels", by)
	}
	d.LevelBy = f
	d.levels = make([]slog.Level, f.Label.Size())
	for i := range d.levels {
		d.levels[i] = d.Level
	}
	for v, l := range levels {
		i := slices.Index(f.Label.Values, v)
		if i < 0 {
			return fmt.Errorf("Levels: %q is not a value of %s (values=%v)", v, by, f.Label.Values)
		}
		d.levels[i] = l
	}
	return nil
}

// LevelOf returns the level of the event whose payload is p: the level
// Spec.Levels gives its LevelBy value, else Level.
func (d *Descriptor) LevelOf(p *Payload) slog.Level {
	if d.levels == nil {
		return d.Level
	}
	if i := p.LabelIndex(d.LevelBy); i >= 0 && i < len(d.levels) {
		return d.levels[i]
	}
	return d.Level
}

// LevelOfValue returns the level of the event when its LevelBy field has
// the value v (Level without LevelBy, or for another value).
func (d *Descriptor) LevelOfValue(v string) slog.Level {
	if d.levels == nil {
		return d.Level
	}
	if i := slices.Index(d.LevelBy.Label.Values, v); i >= 0 {
		return d.levels[i]
	}
	return d.Level
}
