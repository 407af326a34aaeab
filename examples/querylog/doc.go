// Command querylog is a small but real query engine that reports its
// lifecycle through milestone, as typed events of its own catalog
// (namespace querylog): it scans a CSV table it writes on first run, runs a
// plan of real operators (scan → filter → project → aggregate → sink) on
// goroutines connected by channels, and writes the result.
//
//	go run ./examples/querylog -events DIR          # one query; prints where its event log is
//	go run ./examples/querylog -fail                # a query naming an unknown column
//	go run ./examples/querylog -cancel-after 5ms    # a query cancelled while it runs
//	go run ./examples/querylog -metrics             # also print its /metrics
//
// Every query is a run named by its query_id (a readable id such as
// nimble-falcon-57ee1d): its event log is <events>/<query_id>/events.jsonl,
// and its JSON log lines on stderr carry the id.
package main
