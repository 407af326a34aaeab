// Command gen writes the event catalog page (docs/events.md). It is run by
// go generate from the module root.
package main
