// Package testutil holds small helpers shared by milestone's tests.
package testutil
