package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"
)

// Kind is one sort of fault or operator action in the schedule.
type Kind string

// The kinds of the schedule. Each names what it does to whom; how long it
// lasts is the Fault's Dur.
const (
	PartitionShort  Kind = "partition host < S"      // blackhole one host's proxy, then heal
	PartitionLong   Kind = "partition host > S"      // blackhole past the session, reset, heal
	StallHost       Kind = "stall host 0.3-0.6 S"    // blackhole, bytes delivered on heal
	ServerStop      Kind = "SIGSTOP server"          // freeze one server, then SIGCONT
	ServerKill      Kind = "SIGKILL follower"        // kill a follower, start it again
	LeaderKill      Kind = "SIGKILL leader"          // kill the leader, start it again
	EnsembleRestart Kind = "restart ensemble"        // stop every server, start them again
	WrapperKill     Kind = "SIGKILL wrapper"         // kill a running switchman
	WrapperStop     Kind = "SIGSTOP wrapper < S"     // freeze a running switchman briefly
	WrapperFreeze   Kind = "SIGSTOP wrapper > S"     // freeze past the session: unpreventable overlap window
	GroupMove       Kind = "groups move"             // move a host of a nested group
	GroupDelete     Kind = "groups delete + re-add"  // delete a group, then set it again
	GroupSet        Kind = "groups set"              // rewrite a group's members
	DirectWrite     Kind = "direct prefix write"     // Set the prefix znode's data by hand
	OpKill          Kind = "switchman kill"          // kill a job's holder through ZooKeeper
	OpPause         Kind = "switchman pause/resume"  // pause a job, resume it later
	OpResumeHalt    Kind = "switchman resume (halt)" // resume the halted job
	OpCatchUp       Kind = "switchman catch-up"      // run the catch-up sweep
	ClockJump       Kind = "clock jump ≤45s"         // set one host's slot clock off (0 in 3 draws: back to true)
	Burst           Kind = "burst of 200 runs"       // 200 runs of one lock at once
)

// weighted lists the kinds drawn at random, with their weights. Burst is
// not drawn: it happens once, in the middle of the run.
var weighted = []struct {
	kind   Kind
	weight int
}{
	{PartitionShort, 6}, {PartitionLong, 4}, {StallHost, 4},
	{ServerStop, 3}, {ServerKill, 3}, {LeaderKill, 3}, {EnsembleRestart, 1},
	{WrapperKill, 5}, {WrapperStop, 3}, {WrapperFreeze, 2},
	{GroupMove, 4}, {GroupDelete, 2}, {GroupSet, 2}, {DirectWrite, 2},
	{OpKill, 4}, {OpPause, 3}, {OpResumeHalt, 3}, {OpCatchUp, 2},
	{ClockJump, 3},
}

// Fault is one entry of the schedule: what, when (offset from the start of
// the run), for how long, and a target index that the injector reduces
// modulo whatever it picks from (hosts, servers, running wrappers).
type Fault struct {
	At     time.Duration
	Kind   Kind
	Dur    time.Duration
	Target int
}

func (f Fault) String() string {
	return fmt.Sprintf("t+%s %s (target %d, %s)", f.At.Round(time.Millisecond), f.Kind, f.Target, f.Dur.Round(time.Millisecond))
}

// Gaps between two faults: long enough for the fleet to be running again,
// short enough that a 3-minute run sees a couple of dozen.
const (
	minGap = 3 * time.Second
	maxGap = 8 * time.Second
	// warm is the fault-free start, while every host's jobs get going.
	warm = 5 * time.Second
)

// Plan returns the fault schedule of a run of length d with the session
// timeout s: a pure function of seed, d and s, so that a seed replays.
// Faults do not overlap: each starts after the previous one's At+Dur plus
// a gap. The burst comes once, at the first fault after half the run.
func Plan(seed uint64, d, s time.Duration) []Fault {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	total := 0
	for _, w := range weighted {
		total += w.weight
	}
	var out []Fault
	burst := false
	for at := warm; ; {
		f := Fault{At: at, Target: rng.IntN(1 << 16)}
		if !burst && at >= d/2 {
			f.Kind, burst = Burst, true
		} else {
			f.Kind = pick(rng.IntN(total))
		}
		f.Dur = duration(f.Kind, s, rng)
		if f.At+f.Dur > d {
			break
		}
		out = append(out, f)
		at = f.At + f.Dur + minGap + time.Duration(rng.Int64N(int64(maxGap-minGap)))
	}
	return out
}

func pick(n int) Kind {
	for _, w := range weighted {
		if n < w.weight {
			return w.kind
		}
		n -= w.weight
	}
	return weighted[len(weighted)-1].kind
}

// duration draws how long a fault of kind k lasts, relative to the session
// timeout s where the kind is defined by it.
func duration(k Kind, s time.Duration, rng *rand.Rand) time.Duration {
	frac := func(lo, hi float64) time.Duration {
		return time.Duration((lo + rng.Float64()*(hi-lo)) * float64(s))
	}
	switch k {
	case PartitionShort:
		return frac(0.1, 0.3) // under S/3: the client cannot even notice
	case PartitionLong:
		return frac(1.2, 2)
	case StallHost:
		return frac(0.3, 0.6)
	case ServerStop:
		return frac(0.3, 1.5)
	case WrapperStop:
		return frac(0.1, 0.3)
	case WrapperFreeze:
		return frac(1.5, 2.5)
	case OpPause, GroupDelete, GroupMove:
		return frac(0.5, 1.5) // how long until the operator undoes it
	}
	return 0
}

// ClockOffset is what a clock jump with target t sets its host's clock
// to: back to the true time in one draw of three, else 5 to 45 s ahead or
// behind, within the documented skew (slot_skew, 60 s). The host keeps it
// until its next jump, as a host keeps a drifted clock until NTP steps it.
func ClockOffset(t int) time.Duration {
	if t%3 == 0 {
		return 0
	}
	d := time.Duration(5+(t/3)%41) * time.Second
	if (t/128)%2 == 1 {
		d = -d
	}
	return d
}

// Counts tallies the schedule per kind, in the weighted order (Burst last).
func Counts(faults []Fault) map[Kind]int {
	m := map[Kind]int{}
	for _, f := range faults {
		m[f.Kind]++
	}
	return m
}

// Kinds lists every kind in report order.
func Kinds() []Kind {
	var ks []Kind
	for _, w := range weighted {
		ks = append(ks, w.kind)
	}
	return append(ks, Burst)
}

// before returns the last fault that started at or before t (an offset),
// and false when none did.
func before(faults []Fault, t time.Duration) (Fault, bool) {
	i := sort.Search(len(faults), func(i int) bool { return faults[i].At > t })
	if i == 0 {
		return Fault{}, false
	}
	return faults[i-1], true
}
