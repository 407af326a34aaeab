// Package errtext turns errors and recovered panics into the text a log
// line carries, without ever panicking itself: what jsonlog writes for an
// error value and logctx for a failure event's error.message.
package errtext
