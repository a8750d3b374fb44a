package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/zktest"
)

// applied is one fault of the schedule as it was played.
type applied struct {
	Fault
	from, to time.Time
	note     string
	err      error
}

// freeze is an unpreventable window: a wrapper frozen longer than the
// session, whose child ran on unsupervised while another holder could start.
type freeze struct {
	l        *launch
	from, to time.Time
}

// evidence is what the injector records for the checker.
type evidence struct {
	mu      sync.Mutex
	applied []applied
	freezes []freeze
	killed  map[*launch]time.Time // wrappers SIGKILLed by the injector
	stopped map[*launch]time.Time // wrappers SIGSTOPped briefly: thawed at
	ops     map[string]int        // operator command outcomes ("switchman kill: ok")
}

func (e *evidence) init() {
	e.killed, e.stopped, e.ops = map[*launch]time.Time{}, map[*launch]time.Time{}, map[string]int{}
}

func (e *evidence) op(kind Kind, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.ops[string(kind)+": error"]++
	} else {
		e.ops[string(kind)+": ok"]++
	}
}

// inject plays the schedule, one fault after the other, until it ends or
// ctx does.
func (f *fleet) inject(ctx context.Context) {
	for _, ft := range f.plan {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(f.start.Add(ft.At))):
		}
		a := applied{Fault: ft, from: time.Now()}
		a.note, a.err = f.apply(ft)
		a.to = time.Now()
		f.ev.mu.Lock()
		f.ev.applied = append(f.ev.applied, a)
		f.ev.mu.Unlock()
		status := "ok"
		if a.err != nil {
			status = "error: " + firstLine(a.err.Error())
		}
		fmt.Fprintf(os.Stderr, "soak seed %d: %s %s (played t+%s..t+%s) %s\n", f.seed, ft, a.note,
			f.elapsed(a.from).Round(time.Millisecond), f.elapsed(a.to).Round(time.Millisecond), status)
	}
}

// goHosts are the hosts running this tool (faults on hosts target these).
func (f *fleet) goHosts() []*host {
	var out []*host
	for _, h := range f.hosts {
		if !h.perl {
			out = append(out, h)
		}
	}
	return out
}

func (f *fleet) apply(ft Fault) (string, error) {
	switch ft.Kind {
	case PartitionShort, StallHost:
		h := f.goHosts()[ft.Target%nHosts]
		h.proxy.SetMode(faultproxy.Blackhole)
		time.Sleep(ft.Dur)
		h.proxy.SetMode(faultproxy.Pass) // held bytes are delivered
		return h.name, nil
	case PartitionLong:
		h := f.goHosts()[ft.Target%nHosts]
		h.proxy.SetMode(faultproxy.Blackhole)
		time.Sleep(ft.Dur)
		h.proxy.SetMode(faultproxy.Reset) // the client gave up: drop what was held
		h.proxy.SetMode(faultproxy.Pass)
		return h.name, nil
	case ServerStop, ServerKill, LeaderKill, EnsembleRestart:
		return f.serverFault(ft)
	case WrapperKill, WrapperStop, WrapperFreeze:
		return f.wrapperFault(ft)
	case Burst:
		f.burst(200)
		return "lock burst", nil
	case ClockJump:
		h := f.goHosts()[ft.Target%nHosts]
		off := ClockOffset(ft.Target)
		h.clock.Store(int64(off))
		switch {
		case off > 0:
			return fmt.Sprintf("%s clock %s ahead", h.name, off), nil
		case off < 0:
			return fmt.Sprintf("%s clock %s behind", h.name, -off), nil
		}
		return h.name + " clock true again", nil
	}
	return f.operatorAction(ft)
}

// leader returns the ensemble's leader, waiting up to 15 s while none or
// two claim it: a leader that was frozen or cut off says "leader" until it
// notices that it lost its quorum.
func (f *fleet) leader() (*zktest.Server, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, err := f.ens.Leader()
		if err == nil || time.Now().After(deadline) {
			return s, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (f *fleet) serverFault(ft Fault) (string, error) {
	switch ft.Kind {
	case ServerStop:
		s := f.ens.Servers[ft.Target%len(f.ens.Servers)]
		if err := s.Pause(); err != nil {
			return "", err
		}
		time.Sleep(ft.Dur)
		return fmt.Sprintf("server %d", s.ID), s.Resume()
	case ServerKill, LeaderKill:
		s, err := f.leader()
		if ft.Kind == ServerKill {
			fs := f.ens.Followers()
			if len(fs) == 0 {
				return "", errors.New("no follower")
			}
			s, err = fs[ft.Target%len(fs)], nil
		}
		if err != nil {
			return "", err
		}
		if err := s.Kill(); err != nil {
			return "", err
		}
		// A JVM slow to serve on a loaded box is killed by Start; healthy
		// starts it again until the ensemble serves.
		_ = s.Start()
		return fmt.Sprintf("server %d", s.ID), f.healthy(120 * time.Second)
	}
	for _, s := range f.ens.Servers {
		if err := s.Kill(); err != nil {
			return "", err
		}
	}
	return "all servers", f.healthy(120 * time.Second)
}

// wrapperFault signals a running switchman chosen by the target index.
func (f *fleet) wrapperFault(ft Fault) (string, error) {
	sig := syscall.SIGSTOP
	if ft.Kind == WrapperKill {
		sig = syscall.SIGKILL
	}
	var l *launch
	var what string
	var t time.Time // when the signal went
	// The wrapper picked may exit before the signal reaches it: the next
	// running one takes its place, a few times.
	for try := 0; ; try++ {
		rs := f.running()
		if len(rs) == 0 {
			return "", errors.New("no wrapper running")
		}
		l = rs[(ft.Target+try)%len(rs)]
		what = fmt.Sprintf("%s run %d (%s) pid %d", l.host.name, l.seq, l.job, l.cmd.Process.Pid)
		t = time.Now()
		err := l.cmd.Process.Signal(sig)
		if errors.Is(err, os.ErrProcessDone) && try < 5 {
			continue
		}
		if err != nil {
			return what, err
		}
		if ft.Kind == WrapperKill {
			f.ev.mu.Lock()
			f.ev.killed[l] = t
			f.ev.mu.Unlock()
			return what, nil
		}
		break
	}
	time.Sleep(ft.Dur)
	err := l.cmd.Process.Signal(syscall.SIGCONT)
	if errors.Is(err, os.ErrProcessDone) {
		err = nil // the STOP met it exiting: it was reaped meanwhile
	}
	f.ev.mu.Lock()
	if ft.Kind == WrapperFreeze {
		f.ev.freezes = append(f.ev.freezes, freeze{l: l, from: t, to: time.Now()})
	} else {
		f.ev.stopped[l] = time.Now()
	}
	f.ev.mu.Unlock()
	return what, err
}

// operatorAction runs what an operator does to a running fleet: group
// edits through `switchman groups` and by hand, kills, pauses, resumes and
// the catch-up sweep. A refused command (a concurrent edit, nobody to kill)
// is counted, not a violation: the checker judges what the fleet did.
func (f *fleet) operatorAction(ft Fault) (string, error) {
	var err error
	var what string
	switch ft.Kind {
	case GroupMove:
		from := []string{"h1.test", "h2.test", "h3.test", "h4.test"}[ft.Target%4]
		grp := map[bool]string{true: "inner-a", false: "inner-b"}[ft.Target%4 < 2]
		what = fmt.Sprintf("%s: %s -> h5.test and back", grp, from)
		if _, err = f.operator("groups", "move", grp, "--from", from, "--to", "h5.test"); err == nil {
			time.Sleep(ft.Dur)
			_, err = f.operator("groups", "move", grp, "--from", "h5.test", "--to", from)
		}
	case GroupDelete:
		// As an operator must: a group that another names is taken out of
		// it first (the tool refuses to delete it otherwise).
		what = "inner-b taken out of outer and deleted, re-added"
		outerNoB := []string{"groups", "set", "outer", "inner-a", "h6.test"}
		if _, err = f.operator(outerNoB...); err == nil {
			_, err = f.operator("groups", "delete", "inner-b")
		}
		if err == nil {
			time.Sleep(ft.Dur)
			_, err = f.operator(append([]string{"groups", "set", "inner-b"}, innerB...)...)
		}
		if err == nil {
			_, err = f.operator("groups", "set", "outer", "inner-a", "inner-b", "h6.test")
		}
	case GroupSet:
		m := []string{innerA[ft.Target%2], innerA[1-ft.Target%2]}
		what = fmt.Sprintf("inner-a = %v", m)
		_, err = f.operator(append([]string{"groups", "set", "inner-a"}, m...)...)
	case DirectWrite:
		what = "prefix data rewritten by hand"
		_, err = f.admin.Set(prefix, []byte(groupData(nil)), -1)
	case OpKill:
		job := []string{"plain", "nested", "tmo", "minint"}[ft.Target%4]
		what = job
		_, err = f.operator("kill", job, "--wait", "15s")
		if err != nil && exitOf(err) == 1 {
			err = nil // nobody held it
		}
	case OpPause:
		job := []string{"plain", "nested", "halty"}[ft.Target%3]
		what = job + " paused, resumed"
		if _, err = f.operator("pause", job, "--reason", "soak"); err == nil {
			time.Sleep(ft.Dur)
			_, err = f.operator("resume", job)
		}
	case OpResumeHalt:
		what = "halty"
		_, err = f.operator("resume", "halty")
	case OpCatchUp:
		what = "cron.d sweep"
		err = f.catchUp()
	}
	f.ev.op(ft.Kind, err)
	return what, err
}

// exitOf returns the exit status of a failed operator command, or -1.
func exitOf(err error) int {
	var oe *opError
	if errors.As(err, &oe) {
		return oe.code
	}
	return -1
}

// catchUpLog is the history log of the runs the catch-up sweep starts.
func (f *fleet) catchUpLog() string { return filepath.Join(f.dir, "runs", "catchup.hist") }

// catchUp writes the slot job's cron.d line and runs `switchman catch-up`:
// it runs the latest slot nobody claimed, if any, racing the fleet's own
// runs on the same claim.
func (f *fleet) catchUp() error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%s %s switchman -c %s --hostname h1.test -g all --lockname slotjob --schedule '%s' --standby 2s --catch-up 10m -- %s -log %s -min 200ms -max 500ms\n",
		slotSpec, u.Username, f.opCfg, slotSpec, filepath.Join(f.bin, "histchild"), f.catchUpLog())
	if err := os.WriteFile(filepath.Join(f.cronDir, "soak"), []byte(line), 0o644); err != nil {
		return err
	}
	_, err = f.operator("catch-up", "--cron-dir", f.cronDir)
	return err
}
