// Package explore is the run explorer: an http.Handler that shows the runs
// of a runs.Source in a browser, the one `milestone serve` runs and the
// demo service mounts.
//
//   - / lists the runs with their status, start, duration, events and
//     errors, filtered by the q (id or trace) and status parameters, with
//     no script;
//   - /runs/<id> shows a run: a Gantt timeline of its steps (the spans of
//     runs.ProfileOf, nested as their parents say; retries and throttles
//     marked, failures in red, a bar's event in its tooltip), the profile
//     table and warnings, and its events (the first and last ones of a
//     long run);
//   - /runs/<id>/live streams server-sent events while the run's log
//     grows, and the page swaps in its new content (the only script, about
//     thirty lines, in static/live.js).
//
// Pages are rendered on the server from embedded templates (html/template:
// every value from an event log is escaped), read from the source on each
// request (a restart loses nothing), and bounded in memory whatever the
// run's size: at most MaxBars bars (siblings of one name beyond that are
// drawn as one aggregate bar) and MaxEvents events listed.
//
// It is read-only (GET and HEAD), serves nothing but its pages and its own
// embedded files, refuses a run id that is not one path element
// (runs.CheckID), and sends a Content-Security-Policy that allows no script
// but its own. `milestone serve` listens on 127.0.0.1 unless told
// otherwise.
package explore
