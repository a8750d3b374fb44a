package supervise

import (
	"io"
	"os"
	"sync"
	"time"
)

// stdio connects the child's standard streams: *os.File values are handed
// over as they are, anything else through a pipe and a copying goroutine.
type stdio struct {
	files      [3]*os.File // the child's fds 0, 1 and 2
	childEnds  []*os.File  // our copies of the pipe ends the child uses
	parentEnds []*os.File  // our ends of the pipes
	copiers    []func()    // output copies, waited for by wait
	feeder     func()      // stdin copy, never waited for
	wg         sync.WaitGroup
}

// newStdio prepares the child's standard streams; nil means this process's own.
func newStdio(in io.Reader, out, errOut io.Writer) (*stdio, error) {
	s := &stdio{}
	var err error
	if s.files[0], err = s.input(in); err != nil {
		s.closeAll()
		return nil, err
	}
	if s.files[1], err = s.output(out, os.Stdout); err != nil {
		s.closeAll()
		return nil, err
	}
	if sameWriter(out, errOut) {
		// One pipe for both, as exec.Cmd does: two copiers writing into one
		// writer would race and could reorder the child's output.
		s.files[2] = s.files[1]
		return s, nil
	}
	if s.files[2], err = s.output(errOut, os.Stderr); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *stdio) input(r io.Reader) (*os.File, error) {
	if r == nil {
		return os.Stdin, nil
	}
	if f, ok := r.(*os.File); ok {
		return f, nil
	}
	pr, pw, err := s.pipe(true)
	if err != nil {
		return nil, err
	}
	s.feeder = func() {
		_, _ = io.Copy(pw, r) // a child that stops reading ends the copy with EPIPE
		_ = pw.Close()        // EOF for the child
	}
	return pr, nil
}

func (s *stdio) output(w io.Writer, inherit *os.File) (*os.File, error) {
	if w == nil {
		return inherit, nil
	}
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	pw, pr, err := s.pipe(false)
	if err != nil {
		return nil, err
	}
	s.copiers = append(s.copiers, func() {
		defer s.wg.Done()
		_, _ = io.Copy(w, pr) // ends at EOF, when every holder of pw is gone
	})
	return pw, nil
}

// pipe opens a pipe whose read end (childReads) or write end is the
// child's, and keeps both ends for closing.
func (s *stdio) pipe(childReads bool) (child, parent *os.File, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	child, parent = w, r
	if childReads {
		child, parent = r, w
	}
	s.childEnds = append(s.childEnds, child)
	s.parentEnds = append(s.parentEnds, parent)
	return child, parent, nil
}

// sameWriter reports whether out and errOut are one non-file writer.
func sameWriter(out, errOut io.Writer) (same bool) {
	if out == nil || errOut == nil {
		return false
	}
	if _, ok := out.(*os.File); ok {
		return false
	}
	defer func() {
		if recover() != nil {
			same = false // uncomparable dynamic type, e.g. a func type
		}
	}()
	return out == errOut
}

// childFiles returns the files the child gets as fds 0, 1 and 2.
func (s *stdio) childFiles() []*os.File { return s.files[:] }

// closeChildEnds closes our copies of the child's pipe ends, so that the
// output pipes reach EOF once the child's tree has closed them.
func (s *stdio) closeChildEnds() {
	for _, f := range s.childEnds {
		_ = f.Close()
	}
}

// startCopying starts the copying goroutines.
func (s *stdio) startCopying() {
	s.wg.Add(len(s.copiers))
	for _, cp := range s.copiers {
		go cp()
	}
	if s.feeder != nil {
		go s.feeder()
	}
}

// wait waits, up to limit, for the output copies to reach EOF, then closes
// our pipe ends. A descendant we could not kill may hold a pipe open
// forever; closing our end then cuts its output off rather than hanging.
func (s *stdio) wait(limit time.Duration) {
	if !waitGroupFor(&s.wg, limit) {
		s.closeAll() // unblocks the copiers' reads
		waitGroupFor(&s.wg, limit)
	}
	s.closeAll()
}

// closeAll closes every pipe end we hold; closing twice is harmless.
func (s *stdio) closeAll() {
	for _, f := range append(s.childEnds, s.parentEnds...) {
		_ = f.Close()
	}
}

// waitGroupFor waits for wg up to limit and reports whether it finished.
func waitGroupFor(wg *sync.WaitGroup, limit time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
