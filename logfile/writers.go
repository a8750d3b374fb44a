package logfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// PIDField is the field that carries switchman's own pid in every event;
// Text puts it in brackets, as the original did.
const PIDField = "switchman_pid"

// Filter passes on to w only the events at level min or above, so that
// each destination of one logger keeps its own threshold.
func Filter(w io.Writer, min zerolog.Level) zerolog.LevelWriter {
	return levelFilter{w: w, min: min}
}

type levelFilter struct {
	w   io.Writer
	min zerolog.Level
}

func (f levelFilter) Write(p []byte) (int, error) { return f.w.Write(p) }

func (f levelFilter) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if l < f.min {
		return len(p), nil
	}
	return f.w.Write(p)
}

// Text returns a writer that turns each JSON event into a line as the
// original tool wrote its log, "DATE<TAB>[PID]<TAB>message" in local
// time, for log shippers and eyes used to them: the message, then the
// event's fields as key=value, sorted, a value with blanks or quotes
// quoted. Info and debug lines carry no level, as the original's; others
// do. What is not an event is written as it is.
func Text(w io.Writer) io.Writer { return textLog{w} }

type textLog struct{ w io.Writer }

func (t textLog) Write(p []byte) (int, error) {
	var ev map[string]any
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	if d.Decode(&ev) != nil {
		return t.w.Write(p)
	}
	when := time.Now()
	if ts, ok := ev[zerolog.TimestampFieldName].(string); ok {
		if parsed, err := time.Parse(zerolog.TimeFieldFormat, ts); err == nil {
			when = parsed
		}
	}
	pid := fmt.Sprint(ev[PIDField])
	msg, _ := ev[zerolog.MessageFieldName].(string)
	for _, k := range []string{zerolog.TimestampFieldName, PIDField, zerolog.MessageFieldName} {
		delete(ev, k)
	}
	if lvl, _ := ev[zerolog.LevelFieldName].(string); lvl == "info" || lvl == "debug" {
		delete(ev, zerolog.LevelFieldName) // the original's lines carry no level; warnings say so
	}
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t[%s]\t%s", when.Local().Format(time.DateTime), pid, msg)
	for _, k := range keys {
		b.WriteString(" " + k + "=" + textValue(ev[k]))
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

func textValue(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		return x.String()
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}
