package metrics

// HealthReporter is implemented by every collector and handler that counts
// what it could not do: events dropped from a full queue, lost to write
// errors, refused as invalid, ignored because the collector does not carry
// them, panics recovered. metrics/selfmetrics reads it, and nothing else,
// to export the milestone_* families; a collector of your own implements it
// to appear there too.
//
// Health must be safe for concurrent use and cheap (it is read at every
// scrape), and must report the same families at every call, with zero
// values when nothing happened: selfmetrics learns a source's families from
// its first report.
type HealthReporter interface {
	Health() []HealthValue
}

// HealthFamily is one milestone_* family: its full name, its help text, its
// label names and whether it is a gauge (a counter otherwise). The families
// every component shares are the variables below; a component with a
// family of its own declares it once, as a package-level variable.
type HealthFamily struct {
	Name   string
	Help   string
	Labels []string
	Gauge  bool
}

// HealthValue is one series of a HealthFamily: its label values, in the
// order of Family.Labels, and its value.
type HealthValue struct {
	Family *HealthFamily
	Labels []string
	Value  float64
}

// The families every component shares. Sinks (eventlog, clickhouse) report
// under label "sink", metrics backends under "backend" or "collector", log
// handlers under "handler", as earlier releases did.
var (
	FamilyDropped = &HealthFamily{Name: "milestone_events_dropped_total",
		Help: "Events a sink refused because its queue was full or it was closed.", Labels: []string{"sink"}}
	FamilyLost = &HealthFamily{Name: "milestone_events_lost_total",
		Help: "Events a sink accepted and could not write or deliver.", Labels: []string{"sink"}}
	FamilyWriteErrors = &HealthFamily{Name: "milestone_write_errors_total",
		Help: "Failed writes, fsyncs and closes of a sink's files, or failed inserts.", Labels: []string{"sink"}}
	FamilyFsyncErrors = &HealthFamily{Name: "milestone_fsync_errors_total",
		Help: "Failed fsyncs of a sink's files.", Labels: []string{"sink"}}
	FamilyPanics = &HealthFamily{Name: "milestone_collector_panics_total",
		Help: "Panics recovered from collectors and their providers.", Labels: []string{"collector"}}
	FamilyInvalid = &HealthFamily{Name: "milestone_invalid_values_total",
		Help: "Negative counts and durations a metrics backend refused.", Labels: []string{"backend"}}
	FamilyIgnored = &HealthFamily{Name: "milestone_events_ignored_total",
		Help:   "Events a collector did not record because it does not carry them: of a catalog WithCatalog left out, declared after the collector was built, or never declared.",
		Labels: []string{"collector", "reason"}}
	FamilyLogFailed = &HealthFamily{Name: "milestone_log_lines_failed_total",
		Help: "Log lines whose write failed, or records a handler refused.", Labels: []string{"handler"}}
	FamilyLogTruncated = &HealthFamily{Name: "milestone_log_lines_truncated_total",
		Help: "Log lines cut to their maximum length.", Labels: []string{"handler"}}
	FamilyLogRenamed = &HealthFamily{Name: "milestone_log_fields_renamed_total",
		Help: "Log fields written under another key to keep the line indexable (reserved keys, ECS mapping, dotted prefixes).", Labels: []string{"handler"}}
	FamilyLabelOverflows = &HealthFamily{Name: "milestone_label_overflows_total",
		Help: "Label values recorded as the overflow value, outside a closed set or past a cap.", Labels: []string{"catalog", "label"}}
	FamilyUndeclared = &HealthFamily{Name: "milestone_undeclared_events_total",
		Help: "metrics.Emit calls with an event type never declared."}
)

// Count returns the series of f with the given label values and value n.
func (f *HealthFamily) Count(n uint64, labels ...string) HealthValue {
	return HealthValue{Family: f, Labels: labels, Value: float64(n)}
}

// Health reports what the core itself counts, whatever the collectors: every
// catalog's label overflows (FamilyLabelOverflows) and the Emit calls with
// an undeclared type (FamilyUndeclared).
func Health() []HealthValue {
	out := []HealthValue{FamilyUndeclared.Count(Undeclared())}
	for _, cat := range Catalogs() {
		seen := map[string]bool{}
		for _, d := range cat.Descriptors() {
			for _, f := range d.Fields {
				if f.IsLabel() && !seen[f.Name] {
					seen[f.Name] = true
					out = append(out, FamilyLabelOverflows.Count(f.Label.Overflows(), cat.Namespace(), f.Name))
				}
			}
		}
	}
	return out
}

// Grouper is implemented by a collector that fans out to others, as what
// Multi returns does: Members lists them, so that a reader of health (and
// anything else that walks collectors) reaches every member.
type Grouper interface {
	Members() []Collector
}
