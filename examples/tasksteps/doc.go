// Command tasksteps is a real task runner that reports its step telemetry
// through milestone, as typed events of its own catalog (namespace
// tasksteps). It runs one task as six named steps — load_task,
// download_inputs (copies the inputs from a local "remote" directory),
// deserialize_inputs (decodes their JSON), execute_user_code (statistics
// over the inputs), upload_outputs and write_decks (an HTML report) — and
// times each with milestone's timing helper, which emits one step event per
// step with its wall time, the process CPU time spent in it, its status and
// its error type.
//
//	go run ./examples/tasksteps -events DIR               # one task; prints where its event log is
//	go run ./examples/tasksteps -fail execute_user_code   # that step fails: status error, the task fails
//	go run ./examples/tasksteps -metrics                  # also print its /metrics
//
// Every task execution is a run named by its execution_id: its event log is
// <events>/<execution_id>/events.jsonl, and its JSON log lines on stderr
// carry execution_id, task_name, project and domain.
package main
