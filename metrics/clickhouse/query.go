package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Query runs sql, a SELECT that names the table as {table}, on the first
// of the table's servers that answers, and returns the answer in the
// format sql names. It is for readers that aggregate on the server, as
// runs.ListGlances does: a row a run rather than its events. The caller
// closes the answer. The options are New's (only the connection and table
// options matter); the timeout bounds the whole answer.
func Query(ctx context.Context, sql string, opts ...Option) (io.ReadCloser, error) {
	cfg := config{timeout: DefaultTimeout}
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	if cfg.client == nil {
		cfg.client = http.DefaultClient
	}
	sql = strings.ReplaceAll(sql, "{table}", cfg.database+"."+cfg.table)
	var err error
	for _, srv := range cfg.servers() {
		var body io.ReadCloser
		if body, err = cfg.post(ctx, srv, sql); err == nil {
			return body, nil
		}
		var se *serverError
		if errors.As(err, &se) && !se.retryable() {
			return nil, err // every server would say the same
		}
	}
	return nil, err
}

// post sends sql to srv and returns the answer's body, or the server's
// refusal as a *serverError. The body must be closed; cfg.timeout bounds
// reading it.
func (cfg *config) post(ctx context.Context, srv *server, sql string) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.base+"/?output_format_json_quote_64bit_integers=0", strings.NewReader(sql))
	if err != nil {
		cancel()
		return nil, err
	}
	req.SetBasicAuth(srv.user, srv.password)
	resp, err := cfg.client.Do(req)
	if err != nil {
		cancel()
		return nil, srv.redact(fmt.Errorf("clickhouse: reading from %s: %w", srv.target, err))
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("clickhouse: reading from %s: %w", srv.target, srv.redact(newServerError(resp.StatusCode, string(msg))))
	}
	return cancelOnClose{resp.Body, cancel}, nil
}

// cancelOnClose is an answer's body that ends its request's context when
// closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// ErrorCode returns the ClickHouse error code of the refusal err wraps (47
// for an unknown column, 60 for an unknown table, …), or 0 when err is not
// a server's refusal.
func ErrorCode(err error) int {
	var se *serverError
	if errors.As(err, &se) {
		return se.code
	}
	return 0
}
