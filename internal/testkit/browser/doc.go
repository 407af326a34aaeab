// Package browser drives a real headless Chromium (Debian's chromium) for
// tests, over the DevTools protocol on a pipe (--remote-debugging-pipe: no
// websocket, no dependency): open a page, evaluate script in it, wait for a
// condition, take a screenshot. Start skips the test when Chromium is
// absent, or fails it when the environment variable CI is set.
package browser
