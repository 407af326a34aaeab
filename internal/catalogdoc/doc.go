// Package catalogdoc renders the event catalog of package metrics as the
// Markdown page docs/events.md. The page is generated (go generate ./...)
// and checked in; a test fails when it is stale.
package catalogdoc
