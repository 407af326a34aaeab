// Package bench holds milestone's benchmarks, each set beside the raw backend
// or the peer library it is compared with, in the same run:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 | tee new.txt
//	benchstat new.txt
//
// bench is its own module so that the peer libraries it measures (zap,
// zerolog, go-kit, ...) never enter milestone's go.mod.
package bench
