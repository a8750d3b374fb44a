package crontab

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Field names one of the five time fields of a crontab line, in line order.
type Field int

// The five time fields, in the order cron reads them.
const (
	Minute Field = iota
	Hour
	DayOfMonth
	Month
	DayOfWeek
)

// fieldSpec is what cron accepts in one field: the value range and the
// three-letter names (index 0 of names is the value min).
type fieldSpec struct {
	name     string
	min, max int
	names    []string
}

var fieldSpecs = [...]fieldSpec{
	Minute:     {name: "minute", min: 0, max: 59},
	Hour:       {name: "hour", min: 0, max: 23},
	DayOfMonth: {name: "day of month", min: 1, max: 31},
	Month: {name: "month", min: 1, max: 12, names: []string{
		"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	// 7 is Sunday as well as 0, as in Vixie cron.
	DayOfWeek: {name: "day of week", min: 0, max: 7, names: []string{
		"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// String returns the field's name as used in error messages ("minute").
func (f Field) String() string {
	if f < Minute || f > DayOfWeek {
		return fmt.Sprintf("field(%d)", int(f))
	}
	return fieldSpecs[f].name
}

// keywords are the @-schedules of Vixie cron (Debian's cron and cronie).
var keywords = map[string]bool{
	"@reboot": true, "@yearly": true, "@annually": true, "@monthly": true,
	"@weekly": true, "@daily": true, "@midnight": true, "@hourly": true,
}

// ParseSchedule checks a cron time specification, either five fields
// ("*/5 9-17 * jan-jun mon-fri") or one @keyword ("@daily"), and returns it
// normalized to single spaces. It accepts exactly what Debian's cron accepts,
// except steps larger than the field's maximum (cron silently treats "*/90"
// in the minute field as "0", which is never what was meant). Errors
// match ErrSchedule and name the field and the bad value.
func ParseSchedule(s string) (string, error) {
	fields := strings.Fields(s)
	if len(fields) == 1 && strings.HasPrefix(fields[0], "@") {
		if !keywords[fields[0]] {
			return "", schedErr("unknown keyword %q (want @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)", fields[0])
		}
		return fields[0], nil
	}
	if len(fields) != 5 {
		return "", schedErr("%q has %d fields, want 5 (minute hour day-of-month month day-of-week) or an @keyword", s, len(fields))
	}
	for i, v := range fields {
		if err := ParseField(Field(i), v); err != nil {
			return "", err
		}
	}
	return strings.Join(fields, " "), nil
}

// ParseField checks one time field: a comma-separated list of "*", "N",
// "N-M", "*/S" or "N-M/S", where N and M may be three-letter names in the
// month and day-of-week fields. Errors match ErrSchedule.
func ParseField(f Field, s string) error {
	_, err := parseField(f, s)
	return err
}

// parseField checks one time field and returns the set of values it
// selects, bit v for value v (day of week 7 stays bit 7 here).
func parseField(f Field, s string) (uint64, error) {
	if f < Minute || f > DayOfWeek {
		return 0, schedErr("no such field %d", int(f))
	}
	spec := fieldSpecs[f]
	if s == "" {
		return 0, schedErr("%s field is empty", spec.name)
	}
	var set uint64
	for _, elem := range strings.Split(s, ",") {
		bits, err := spec.element(elem)
		if err != nil {
			return 0, schedErr("%s field %q: %s", spec.name, s, err.Error())
		}
		set |= bits
	}
	return set, nil
}

// element checks one list element and returns the values it selects; its
// errors are plain text that parseField puts in context.
func (spec fieldSpec) element(elem string) (uint64, error) {
	if elem == "" {
		return 0, errors.New("empty list element")
	}
	rng, stepText, hasStep := strings.Cut(elem, "/")
	step := 1
	if hasStep {
		var err error
		if step, err = spec.step(stepText); err != nil {
			return 0, err
		}
		if !strings.Contains(rng, "-") && rng != "*" {
			return 0, fmt.Errorf("step /%s needs a range or * before it, not %q", stepText, rng)
		}
	}
	if rng == "*" {
		return span(spec.min, spec.max, step), nil
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	a, err := spec.value(lo)
	if err != nil {
		return 0, err
	}
	if !isRange {
		return 1 << a, nil
	}
	b, err := spec.value(hi)
	if err != nil {
		return 0, err
	}
	if a > b {
		return 0, fmt.Errorf("range %s is backwards", rng)
	}
	return span(a, b, step), nil
}

// span is the set a, a+step, ... up to b, as cron expands "a-b/step".
func span(a, b, step int) uint64 {
	var set uint64
	for v := a; v <= b; v += step {
		set |= 1 << v
	}
	return set
}

// step checks the S of "*/S": cron loops forever on 0, and a step beyond
// the field's maximum selects only the first value, which is a typo.
func (spec fieldSpec) step(s string) (int, error) {
	n, err := number(s)
	if err != nil {
		return 0, fmt.Errorf("step %q is not a number", s)
	}
	if n < 1 || n > spec.max {
		return 0, fmt.Errorf("step %d is out of range 1-%d", n, spec.max)
	}
	return n, nil
}

// value returns the number of one endpoint, a number or a name.
func (spec fieldSpec) value(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing number in range")
	}
	if s[0] < '0' || s[0] > '9' {
		for i, name := range spec.names {
			if strings.EqualFold(s, name) {
				return spec.min + i, nil
			}
		}
		if spec.names == nil {
			return 0, fmt.Errorf("%q is not a number", s)
		}
		return 0, fmt.Errorf("%q is neither a number nor a name (%s-%s)", s, spec.names[0], spec.names[len(spec.names)-1])
	}
	n, err := number(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < spec.min || n > spec.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, spec.min, spec.max)
	}
	return n, nil
}

// number parses a short run of decimal digits; the length cap keeps
// absurd inputs from overflowing and still allows zero padding ("05").
func number(s string) (int, error) {
	if s == "" || len(s) > 4 {
		return 0, strconv.ErrSyntax
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}
