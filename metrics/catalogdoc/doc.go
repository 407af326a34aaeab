// Package catalogdoc renders a catalog of events (metrics.Catalog) as a
// Markdown page: every event with its fields, labels, level, message and
// instruments. milestone's own docs/events.md is this page for the built-in
// catalog, written by `go generate ./...` (`milestone docs`) and checked by a
// staleness test; an application does the same for its catalog with Write
// and Check.
package catalogdoc
