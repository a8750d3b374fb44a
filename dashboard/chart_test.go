package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/status"
)

func TestTimelineAndDurations(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := func(host string, startMin, durMin int, result string) fleet.PastRun {
		s := t0.Add(time.Duration(startMin) * time.Minute)
		d := time.Duration(durMin) * time.Minute
		return fleet.PastRun{Host: host, Start: s,
			Outcome: fleet.Outcome{Finish: s.Add(d), Result: result, DurationMS: d.Milliseconds()}}
	}
	runs := []fleet.PastRun{run("b", 0, 10, "success"), run("a", 50, 50, "failure")}
	tl := newTimeline(runs, nil)
	if len(tl.Hosts) != 2 || tl.Hosts[0] != "a" || len(tl.Bars) != 2 {
		t.Fatalf("timeline %+v", tl)
	}
	// 100 minutes across the plot: the first bar starts at the left edge
	// and is a tenth wide, on row 1 (host b); the second starts halfway.
	b0, b1 := tl.Bars[0], tl.Bars[1]
	if b0.X != labelWidth || b0.W != plotWidth/10 || b0.Y != rowY(1)+2 || b0.Fail {
		t.Errorf("first bar %+v", b0)
	}
	if b1.X != labelWidth+plotWidth/2 || b1.W != plotWidth/2 || b1.Y != rowY(0)+2 || !b1.Fail {
		t.Errorf("second bar %+v", b1)
	}
	d := newDurations(runs, "100m")
	// The top is the expected 100m plus a tenth; 50m sits below the
	// middle, and the expected line at a tenth of the height from the top.
	if d.Expected != "1h40m0s" || len(d.Dots) != 2 || !d.Dots[1].Fail || d.Dots[0].X != labelWidth || d.Dots[1].X != labelWidth+plotWidth {
		t.Fatalf("durations %+v", d)
	}
	if want := 4 + chartH - chartH/1.1; d.ExpectedY < want-0.01 || d.ExpectedY > want+0.01 {
		t.Errorf("expected line at %.2f, want %.2f", d.ExpectedY, want)
	}
	// Slot marks: a row below the hosts, the span stretched to a missed
	// slot after the last run.
	marks := []status.SlotMark{{At: t0, Outcome: status.Ran, Host: "b"}, {At: t0.Add(200 * time.Minute), Outcome: status.Missed},
		{At: t0.Add(50 * time.Minute), Outcome: status.CaughtUp}}
	tm := newTimeline(runs, marks)
	if len(tm.Ticks) != 3 || tm.SlotsY != rowY(2) || tm.Height != 3*rowHeight+8 || tm.Ticks[1].X != labelWidth+plotWidth-tickW ||
		tm.Ticks[2].Class != "caughtup" || tm.Ticks[2].X != labelWidth+plotWidth/4 || !strings.Contains(tm.Ticks[0].Title, "ran on b") {
		t.Errorf("timeline with slots %+v", tm)
	}
	if newDurations(nil, "").Line != "" || len(newTimeline(nil, nil).Bars) != 0 {
		t.Error("empty history drew something")
	}
}
