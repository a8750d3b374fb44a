package supervise

import (
	"io"
	"os"
	"sync"
	"unicode/utf8"
)

// Tail keeps the last bytes a child wrote to stdout and stderr together, in
// the order they arrived, while every byte still reaches the real stream.
// It is safe for concurrent use by the two streams' copies.
type Tail struct {
	mu    sync.Mutex
	buf   []byte // a ring of cap size once full
	size  int
	start int   // index of the oldest byte once the ring is full
	total int64 // bytes seen
}

// NewTail returns a Tail keeping the last size bytes.
func NewTail(size int) *Tail { return &Tail{size: size, buf: make([]byte, 0, size)} }

// Tee returns a writer for one of the child's streams: each write goes to f
// first, unchanged, then into the tail. A failing f (cron's pipe closed)
// does not stop the copy, so the tail and the child go on.
func (t *Tail) Tee(f *os.File) io.Writer { return teeWriter{f: f, t: t} }

type teeWriter struct {
	f *os.File
	t *Tail
}

func (w teeWriter) Write(p []byte) (int, error) {
	_, _ = w.f.Write(p)
	w.t.add(p)
	return len(p), nil
}

func (t *Tail) add(p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if t.size == 0 {
		return
	}
	if len(p) >= t.size {
		t.buf = append(t.buf[:0], p[len(p)-t.size:]...)
		t.start = 0
		return
	}
	for len(p) > 0 {
		if len(t.buf) < t.size {
			n := min(len(p), t.size-len(t.buf))
			t.buf = append(t.buf, p[:n]...)
			p = p[n:]
			continue
		}
		n := copy(t.buf[t.start:], p)
		t.start = (t.start + n) % t.size
		p = p[n:]
	}
}

// String returns the bytes kept, cut at the front on a rune boundary (a
// multi-byte character the cut split is dropped whole), and whether
// anything before them was lost.
func (t *Tail) String() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]byte, 0, len(t.buf))
	out = append(out, t.buf[t.start:]...)
	out = append(out, t.buf[:t.start]...)
	cut := t.total > int64(len(out))
	if cut {
		// At most three continuation bytes can precede a rune's start.
		for i := 0; i < utf8.UTFMax-1 && len(out) > 0 && !utf8.RuneStart(out[0]); i++ {
			out = out[1:]
		}
	}
	return string(out), cut
}

// Write adds p to the tail: a Tail is an io.Writer for output that goes
// nowhere else (a notify command's, kept for the log).
func (t *Tail) Write(p []byte) (int, error) {
	t.add(p)
	return len(p), nil
}
