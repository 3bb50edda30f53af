package logging

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder keeps what reaches the output and how many writes it took.
type recorder struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	fail   bool
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return 0, errors.New("output broken")
	}
	r.writes++
	return r.buf.Write(p)
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writes
}

// never is an interval no test waits for.
const never = time.Hour

func TestBatchedLinesWaitAndGoOutTogether(t *testing.T) {
	out := &recorder{}
	w := NewWriter(out, never)
	defer w.Close()
	b := w.Batched()
	for i := range 3 {
		b.Write([]byte("access " + string(rune('a'+i)) + "\n"))
	}
	if got := out.String(); got != "" {
		t.Fatalf("batched lines were written at once: %q", got)
	}
	w.Write([]byte("error\n"))
	if got, want := out.String(), "access a\naccess b\naccess c\nerror\n"; got != want {
		t.Fatalf("output = %q, want %q (held lines first, in order)", got, want)
	}
	if n := out.count(); n != 1 {
		t.Fatalf("%d writes, want the held lines and the line in one", n)
	}
}

func TestImmediateLineWithNothingHeld(t *testing.T) {
	out := &recorder{}
	w := NewWriter(out, never)
	defer w.Close()
	w.Write([]byte("warning\n"))
	if got := out.String(); got != "warning\n" {
		t.Fatalf("output = %q", got)
	}
}

func TestCloseWritesHeldLines(t *testing.T) {
	out := &recorder{}
	w := NewWriter(out, never)
	w.Batched().Write([]byte("access\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "access\n" {
		t.Fatalf("after Close the output is %q", got)
	}
	// After Close nothing waits: there is no timer left to write it.
	w.Batched().Write([]byte("late\n"))
	if got := out.String(); got != "access\nlate\n" {
		t.Fatalf("a line after Close waited: %q", got)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestHeldLinesGoOutWhenTheBufferFills(t *testing.T) {
	out := &recorder{}
	w := NewWriter(out, never)
	defer w.Close()
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for range maxHeld/len(line) - 1 {
		w.Batched().Write(line)
	}
	if out.count() != 0 {
		t.Fatal("written before the buffer filled")
	}
	w.Batched().Write(line)
	if got := len(out.String()); got != maxHeld {
		t.Fatalf("%d bytes written when the buffer filled, want %d", got, maxHeld)
	}
}

func TestHeldLinesGoOutOnTheTimer(t *testing.T) {
	out := &recorder{}
	w := NewWriter(out, 10*time.Millisecond)
	defer w.Close()
	w.Batched().Write([]byte("access\n"))
	// Bounded wait for the timer; no assertion on how long it took.
	for deadline := time.Now().Add(10 * time.Second); out.String() == "" && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if got := out.String(); got != "access\n" {
		t.Fatalf("the timer did not write the held line: %q", got)
	}
}

func TestFailedWriteDropsHeldLines(t *testing.T) {
	out := &recorder{}
	w := NewWriter(out, never)
	defer w.Close()
	w.Batched().Write([]byte("access\n"))
	out.fail = true
	if _, err := w.Write([]byte("error\n")); err == nil {
		t.Fatal("a failed write was not reported")
	}
	out.fail = false
	w.Write([]byte("next\n"))
	if got := out.String(); got != "next\n" {
		t.Fatalf("output = %q: lines from the failed write were kept", got)
	}
}
