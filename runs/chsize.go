package runs

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/milestone-go/milestone/metrics/clickhouse"
)

// SizeEvery is how old a ClickHouse source's count of a run's rows may be
// when Size answers with it.
const SizeEvery = time.Second

// Size returns the number of id's rows in the table (a row delivered twice
// counts twice: the figure only has to grow when the run does), as
// counted at most SizeEvery ago. The table is not ordered by run, so a
// count reads its run_id column: a live page polling ten times a second is
// answered from one count a second.
func (c chSource) Size(ctx context.Context, id string) (int64, error) {
	if n, ok := c.sizes.get(id); ok {
		return n, nil
	}
	body, err := clickhouse.Query(ctx, "SELECT count() FROM {table} WHERE run_id = "+sqlString(id)+" FORMAT TSV", c.opts...)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	line, err := bufio.NewReader(body).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("runs: counting run %s in ClickHouse: %w", id, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("runs: counting run %s in ClickHouse: %q", id, line)
	}
	if n == 0 {
		return 0, fmt.Errorf("run %s in ClickHouse: %w", id, ErrNotFound)
	}
	c.sizes.put(id, n)
	return n, nil
}

// sizeMemo remembers runs' row counts for SizeEvery.
type sizeMemo struct {
	mu sync.Mutex
	m  map[string]countedSize
}

type countedSize struct {
	n  int64
	at time.Time
}

func (s *sizeMemo) get(id string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[id]
	if !ok || time.Since(c.at) >= SizeEvery {
		return 0, false
	}
	return c.n, true
}

func (s *sizeMemo) put(id string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for k, c := range s.m { // forget runs no page has asked about lately
		if now.Sub(c.at) >= time.Minute {
			delete(s.m, k)
		}
	}
	s.m[id] = countedSize{n: n, at: now}
}
