package logfile

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestText checks the original's log line format: local time, the pid
// in brackets and the message, tab-separated, then the fields.
func TestText(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := zerolog.New(Text(&buf)).With().Timestamp().Int(PIDField, 4242).Logger()
	l.Info().Str("lock", "job").Strs("command", []string{"a", "b c"}).Int("exit_code", 3).Str("cause", "host no longer in group").Msg("FINISH")
	l.Warn().Msg("lock lost")
	l.Debug().Str("empty", "").Str("eq", "a=b").Msg("detail")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t\[4242\]\tFINISH cause="host no longer in group" command=\["a","b c"\] exit_code=3 lock=job$`),
		regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t\[4242\]\tlock lost level=warn$`),
		regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t\[4242\]\tdetail empty="" eq="a=b"$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("lines %q", lines)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %q does not match %s", lines[i], re)
		}
	}
}

func TestTextNotAnEvent(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if n, err := Text(&buf).Write([]byte("plain words\n")); err != nil || n != 12 || buf.String() != "plain words\n" {
		t.Errorf("Write = %d, %v; wrote %q, want the bytes as they are", n, err, buf.String())
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		min   zerolog.Level
		level zerolog.Level
		pass  bool
	}{
		{"below", zerolog.WarnLevel, zerolog.InfoLevel, false},
		{"at", zerolog.WarnLevel, zerolog.WarnLevel, true},
		{"above", zerolog.InfoLevel, zerolog.ErrorLevel, true},
		{"debug everywhere", zerolog.DebugLevel, zerolog.DebugLevel, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			n, err := Filter(&buf, tt.min).WriteLevel(tt.level, []byte("x\n"))
			if err != nil || n != 2 {
				t.Errorf("WriteLevel = %d, %v; want 2, nil whether or not it passes", n, err)
			}
			if got := buf.Len() > 0; got != tt.pass {
				t.Errorf("passed %v, want %v", got, tt.pass)
			}
		})
	}
}
