package dashboard

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/status"
)

// Chart geometry, in SVG user units: a label column for host names, then
// the plot.
const (
	labelWidth = 160
	plotWidth  = 640
	rowHeight  = 22
	chartH     = 120
	minBarW    = 3 // a run of a few milliseconds still shows
)

// bar is one run in a timeline.
type bar struct {
	X, Y, W float64
	Fail    bool
	Title   string
}

// tick is one slot in a timeline's slot row.
type tick struct {
	X     float64
	Class string // ran, caughtup or missed (the stylesheet's classes)
	Title string
}

// timeline is a job's runs as bars, one row per host, over the time the
// history covers, and its slots as ticks in a row below them (SlotsY),
// each marked ran, caught up or missed.
type timeline struct {
	Width, Height int
	Hosts         []string
	Bars          []bar
	Ticks         []tick
	SlotsY        float64 // the top of the slot row
	From, To      string
}

// rowY is the top of host row i.
func rowY(i int) float64 { return float64(i*rowHeight + 4) }

// LabelY is where row i's host name sits (for the template).
func (t timeline) LabelY(i int) float64 { return rowY(i) + rowHeight*0.65 }

// tickW is a slot tick's width, as the template draws it.
const tickW = 3

// inPlot moves x left so that a mark w wide starting there ends inside
// the plot: a short run or a slot at the span's end would otherwise be
// drawn past the right edge, clipped away.
func inPlot(x, w float64) float64 { return min(x, labelWidth+plotWidth-w) }

// SlotsLabelY is where the slot row's label sits (for the template).
func (t timeline) SlotsLabelY() float64 { return t.SlotsY + rowHeight*0.65 }

// newTimeline lays out runs (oldest first) and the marks of the job's
// slots; the span covers both.
func newTimeline(runs []fleet.PastRun, marks []status.SlotMark) timeline {
	t := timeline{Width: labelWidth + plotWidth}
	if len(runs) == 0 {
		return t
	}
	row := map[string]int{}
	for _, r := range runs {
		if _, ok := row[r.Host]; !ok {
			row[r.Host] = 0
			t.Hosts = append(t.Hosts, r.Host)
		}
	}
	sort.Strings(t.Hosts)
	for i, h := range t.Hosts {
		row[h] = i
	}
	from, to := runs[0].Start, runs[len(runs)-1].Finish
	for _, r := range runs {
		from, to = minTime(from, r.Start), maxTime(to, r.Finish)
	}
	for _, m := range marks {
		from, to = minTime(from, m.At), maxTime(to, m.At)
	}
	span := max(to.Sub(from), time.Second)
	scale := func(d time.Duration) float64 { return float64(d) / float64(span) * plotWidth }
	for _, r := range runs {
		w := max(scale(r.Finish.Sub(r.Start)), minBarW)
		t.Bars = append(t.Bars, bar{
			X: inPlot(labelWidth+scale(r.Start.Sub(from)), w), Y: rowY(row[r.Host]) + 2,
			W: w, Fail: r.Result != fleet.ResultSuccess,
			Title: fmt.Sprintf("%s %s: %s in %s", r.Host, r.Start.Local().Format(time.DateTime), r.Result, duration(r.DurationMS)),
		})
	}
	t.SlotsY = rowY(len(t.Hosts))
	for _, m := range marks {
		title := fmt.Sprintf("slot %s: %s", m.At.Local().Format(time.DateTime), m.Outcome)
		if m.Host != "" {
			title += " on " + m.Host
		}
		t.Ticks = append(t.Ticks, tick{X: inPlot(labelWidth+scale(m.At.Sub(from)), tickW), Class: outcomeClass(m.Outcome), Title: title})
	}
	rows := len(t.Hosts)
	if len(t.Ticks) > 0 {
		rows++
	}
	t.Height = rows*rowHeight + 8
	t.From, t.To = from.Local().Format(time.DateTime), to.Local().Format(time.DateTime)
	return t
}

// dot is one run in a duration chart.
type dot struct {
	X, Y  float64
	Fail  bool
	Title string
}

// durations is a job's run durations in order, against its expected
// duration.
type durations struct {
	Width, Height int
	Line          string // the polyline's points
	Dots          []dot
	Expected      string
	ExpectedY     float64 // the expected duration's line, when Expected is set
	Max           string  // the duration at the top of the chart
}

// newDurations charts runs (oldest first) against expected (a Go
// duration, or "").
func newDurations(runs []fleet.PastRun, expected string) durations {
	c := durations{Width: labelWidth + plotWidth, Height: chartH + 8}
	exp, _ := time.ParseDuration(expected)
	top := exp
	for _, r := range runs {
		top = max(top, time.Duration(r.DurationMS)*time.Millisecond)
	}
	top = max(top+top/10, time.Second)
	y := func(d time.Duration) float64 { return 4 + chartH - float64(d)/float64(top)*chartH }
	step := float64(plotWidth)
	if len(runs) > 1 {
		step = plotWidth / float64(len(runs)-1)
	}
	var pts []string
	for i, r := range runs {
		d := dot{X: labelWidth + float64(i)*step, Y: y(time.Duration(r.DurationMS) * time.Millisecond),
			Fail: r.Result != fleet.ResultSuccess, Title: fmt.Sprintf("%s on %s: %s", duration(r.DurationMS), r.Host, r.Result)}
		c.Dots = append(c.Dots, d)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", d.X, d.Y))
	}
	c.Line = strings.Join(pts, " ")
	if exp > 0 {
		c.Expected, c.ExpectedY = exp.String(), y(exp)
	}
	c.Max = top.Round(time.Millisecond).String()
	return c
}

// duration formats milliseconds for people.
func duration(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(time.Millisecond).String()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
