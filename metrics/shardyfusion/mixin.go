package shardyfusion

import (
	"time"

	"github.com/milestone-go/milestone/metrics/mixin"
)

// MixinConfig is the built-in catalog's alert thresholds for metrics/mixin
// (what `milestone mixin` writes into mixin/): a reader p99 above 100 ms for
// 10 minutes, writes that start while none completes for an hour, and the
// runbook published in milestone's repository.
func MixinConfig() mixin.Config {
	cfg := mixin.DefaultConfig(Catalog)
	cfg.LatencyP99 = map[string]time.Duration{"reader_get_duration_seconds": 100 * time.Millisecond}
	cfg.Stalled = []mixin.Stall{{Name: "WritesStalled", Started: "writes_started_total", Completed: "writes_completed_total"}}
	cfg.RunbookURL = "https://github.com/milestone-go/milestone/blob/main/mixin/runbook.md"
	return cfg
}
