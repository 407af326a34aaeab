package queue_test

import (
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/lib/queue"
)

func TestPushTakeFlushClose(t *testing.T) {
	var rejected []int
	takes := 0
	q := queue.New(3, queue.Hooks[int]{
		Reject: func(v int) { rejected = append(rejected, v) },
		Take:   func() { takes++ },
	})
	for i := range 5 {
		want := queue.Queued
		if i >= 3 {
			want = queue.Full
		}
		if got := q.Push(i); got != want {
			t.Fatalf("Push(%d) = %v, want %v", i, got, want)
		}
	}
	done := q.RequestFlush()
	b := q.Take(nil, nil)
	if len(b.Items) != 3 || b.Items[2] != 2 || len(b.Flushes) != 1 || b.Closing || takes != 1 || len(rejected) != 2 {
		t.Fatalf("batch %+v, %d takes, rejected %v", b, takes, rejected)
	}
	// The next batch fills while the first is out.
	if q.Push(9) != queue.Queued {
		t.Fatal("Push refused while the consumer held the first batch")
	}
	close(b.Flushes[0])
	<-done
	q.Recycle(b.Items)
	tick := make(chan time.Time, 1)
	if b := q.Take(nil, tick); len(b.Items) != 1 || b.Items[0] != 9 {
		t.Fatalf("second batch %+v", b)
	}
	// Nothing queued: Take returns on the tick, after calling idle.
	idled := false
	tick <- time.Now()
	if b := q.Take(func() { idled = true }, tick); !b.Tick || !idled {
		t.Fatalf("quiet Take %+v, idle called %v", b, idled)
	}
	if !q.Close() || q.Close() {
		t.Fatal("Close should report true once")
	}
	if q.Push(1) != queue.Closed || q.RequestFlush() != nil {
		t.Fatal("the closed queue accepted work")
	}
	if b := q.Take(nil, nil); !b.Closing {
		t.Fatalf("after Close: %+v", b)
	}
}

func TestTakeWithoutRecycleStillQueues(t *testing.T) {
	q := queue.New(2, queue.Hooks[int]{})
	q.Push(1)
	_ = q.Take(nil, nil) // not given back
	q.Push(2)
	_ = q.Take(nil, nil)
	if q.Push(3) != queue.Queued {
		t.Fatal("a batch not recycled made the queue refuse")
	}
}

func TestPushWakesASleepingConsumer(t *testing.T) {
	q := queue.New(4, queue.Hooks[int]{})
	got := make(chan int)
	go func() { got <- q.Take(nil, nil).Items[0] }()
	for {
		if _, sleeps := q.State(); sleeps {
			break
		}
		time.Sleep(time.Millisecond)
	}
	q.Push(7)
	select {
	case v := <-got:
		if v != 7 {
			t.Fatalf("took %d", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the consumer was not woken")
	}
}
