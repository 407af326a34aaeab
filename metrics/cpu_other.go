//go:build !unix

package metrics

import "time"

// processCPU returns 0 where the process CPU clock is not read.
func processCPU() time.Duration { return 0 }
