// Package logging batches the access log: a busy server writes one access
// line per request, and one write system call per line costs it about as much
// as formatting the line. Lines that may wait are held and written together;
// every other line goes out at once, after the held ones, so the order holds.
package logging

import (
	"io"
	"sync"
	"time"
)

// FlushEvery is how long an access line may wait before it is written:
// the same trade nginx offers with a buffered access_log.
const FlushEvery = 200 * time.Millisecond

// maxHeld is how many bytes of held lines trigger a write before the timer.
const maxHeld = 32 << 10

// Writer passes log lines to out. Write sends a line at once; the writer
// Batched returns holds lines for up to the flush interval. Each Write must
// carry whole lines, as slog's handlers do.
type Writer struct {
	mu       sync.Mutex
	out      io.Writer
	held     []byte
	closed   bool
	interval time.Duration
	// timer is armed by the first held line and writes the held lines when
	// it fires, so an idle server never wakes for its logs.
	timer *time.Timer
}

// NewWriter returns a Writer whose held lines wait at most interval. Close
// it to write what is held.
func NewWriter(out io.Writer, interval time.Duration) *Writer {
	w := &Writer{out: out, held: make([]byte, 0, maxHeld), interval: interval}
	w.timer = time.AfterFunc(interval, w.flushHeld)
	w.timer.Stop()
	return w
}

// Write writes p now, together with any held lines before it.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.held) == 0 {
		return w.out.Write(p)
	}
	w.held = append(w.held, p...)
	if err := w.flushLocked(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Batched returns a writer whose lines may wait up to the flush interval.
func (w *Writer) Batched() io.Writer { return batched{w} }

type batched struct{ w *Writer }

func (b batched) Write(p []byte) (int, error) {
	w := b.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	if len(w.held) == 0 {
		w.timer.Reset(w.interval)
	}
	w.held = append(w.held, p...)
	if len(w.held) >= maxHeld {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close writes the held lines and stops the timer. Lines written after
// Close go out at once.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.timer.Stop()
	return w.flushLocked()
}

// flushHeld runs when the timer fires.
func (w *Writer) flushHeld() {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Nowhere is left to report a failed write of log lines.
	_ = w.flushLocked()
}

// flushLocked writes the held lines. They are dropped if the write fails:
// keeping them would only grow the buffer behind a broken output.
func (w *Writer) flushLocked() error {
	if len(w.held) == 0 {
		return nil
	}
	_, err := w.out.Write(w.held)
	w.held = w.held[:0]
	return err
}
