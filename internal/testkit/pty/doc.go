// Package pty opens a pseudo-terminal for tests (Linux): a program given
// its terminal end behaves as on a real terminal (metrics/progress.Line
// redraws in place), and the test reads what it drew from the other end.
package pty
