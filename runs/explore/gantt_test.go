package explore

import "testing"

// TestMarkClass: the built-in catalog's retries and throttles are marked
// as such, and other events plainly.
func TestMarkClass(t *testing.T) {
	for name, want := range map[string]string{
		"s3.retry":                    "mark retry",
		"s3.retry_exhausted":          "mark retry",
		"write.shard.retried":         "mark retry",
		"write.shard.retry_exhausted": "mark retry",
		"rate_limiter.throttled":      "mark throttle",
		"rate_limiter.denied":         "mark throttle",
		"write.batch_written":         "mark",
		"stats":                       "mark",
	} {
		if got := markClass(name); got != want {
			t.Errorf("markClass(%q) = %q, want %q", name, got, want)
		}
	}
}
