package slogcol

import (
	"errors"
	"log/slog"
	"time"
)

// Option configures New.
type Option func(*config) error

type config struct {
	logger *slog.Logger
	clock  func() time.Time
}

// WithLogger sends every record to l instead of the logger of each event's
// catalog and group.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("slogcol: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the function the records' time is read from (default
// time.Now), for tests and examples that need fixed timestamps.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("slogcol: WithClock: nil clock")
		}
		c.clock = now
		return nil
	}
}
