package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
)

// TestClosingDropsLateLines: a line logged after the file is closed is
// dropped without an error, so zerolog says nothing on stderr; lines before
// it reach the file.
func TestClosingDropsLateLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClosing(f)
	var errs bytes.Buffer
	old := zerolog.ErrorHandler
	zerolog.ErrorHandler = func(err error) { errs.WriteString(err.Error()) }
	defer func() { zerolog.ErrorHandler = old }()
	log := zerolog.New(c)
	log.Info().Msg("before")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("after")
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("before")) || bytes.Contains(b, []byte("after")) {
		t.Errorf("file holds %q, want the line before the close only", b)
	}
	if errs.Len() != 0 {
		t.Errorf("zerolog reported a write error: %s", errs.String())
	}
}
