// Package bench holds milestone's benchmarks, each set beside the raw backend
// or the peer library it is compared with, in the same run:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 | tee new.txt
//	benchstat new.txt
//
// EmitNop, EmitPromShardWriteCompleted, EmitPromReaderGet and the
// EmitOtelShardWriteCompleted pair call Collector.Emit with a packed payload:
// the backend's own cost, as in wave 1. The *Typed, *Labeled and EventLog
// benchmarks emit a typed event through its handle (metrics.TypeOf once,
// then EventType.Emit), the way an application's hot path does, so they
// include packing the struct into the payload.
//
// What each benchmark is read against:
//
//	EmitNop                      InterfaceCallFloor, the machine's cost of an empty interface call
//	EmitTypedNop, EmitByTypeNop  EmitNop: what packing a typed event, and finding it by type, add
//	EmitProm*                    RawProm* (client_golang by hand; prom's unlabeled counters and classic histograms are its own); PeerGoKit*, PeerGoMetrics*
//	EmitPromLabeled              RawPromLabeled (CounterVec/HistogramVec, WithLabelValues per call)
//	EmitOtel*                    RawOtel* (the OTel SDK by hand; otelcol counts its counters itself and the SDK observes them, so it makes only the histogram's call)
//	EmitOtelLabeled              RawOtelLabeled (the SDK with each label combination's attribute set cached)
//	EmitOtelLabeledPacked        RawOtelLabeled: otelcol's own cost, the payloads packed up front
//	EmitTypedLabeledNop          EmitTypedNop, EmitNop: what packing an event with two labels costs
//	EmitEventLogTyped            EmitEventLog/sustained (an event with strings and labels)
//	JSONLogMilestone*            JSONLogSlog* (log/slog's JSONHandler), JSONLogZerolog, JSONLogZap
//	JSONLogMilestoneRuntimeKeys  JSONLogMilestone: the cost of keys built at run time, which miss the key cache
//	EmitEventLog/sustained       EmitEventLog/raw_sync, zerolog_sync, slog_json_sync, encoding_json_sync
//	ShardKVGetProm               ShardKVGetNoCollector
//	EmitClickHouse/sustained     EmitClickHouse/post_per_event (one goroutine and one POST per event), events/s
//
// # Reading ratios on a shared machine
//
// On the project's machines (2 shared cores) the same code reads 15-30%
// apart from one run to the next, more than most changes are worth. Read a
// ratio from the pair run in the same invocation, in many short rounds
// (-count 10 -benchtime 300ms), and quote both benchstat's medians and the
// ratio of the fastest runs: noise only ever adds time. To compare two
// commits, check the older one out with git worktree and alternate rounds
// of the two, so that both see the same minutes of noise.
//
// Instruction counts do not vary from run to run, so they can resolve a
// change of 1–2% that the clock cannot. Install valgrind, build the test
// binary once (go test -c -o b.test), and run a benchmark under callgrind
// at two fixed iteration counts; the difference of the totals, divided by
// the difference of the counts, is the instructions per op, setup excluded:
//
//	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind \
//		--callgrind-out-file=cg.20000 ./b.test -test.run '^$' \
//		-test.bench '^BenchmarkEmitOtelLabeled$' -test.benchtime 20000x
//	(the same with 60000x into cg.60000, then: grep -E '^(summary|totals):' cg.*)
//
// callgrind_annotate on the larger file shows them per function. They are
// a guide, not the result: time still decides, since a stall or a
// mispredicted branch costs cycles that no count shows.
//
// bench is its own module so that the peer libraries it measures (zap,
// zerolog, go-kit, hashicorp/go-metrics) never enter milestone's go.mod.
package bench
