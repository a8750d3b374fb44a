package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// exitLost is switchman's exit status when it stopped the child because
// permission was lost (exitcode.Lost).
const exitLost = 71

// reactionResult holds, per trial, the time from the bench's ZooKeeper
// change to the child's receipt of SIGTERM.
type reactionResult struct {
	LockDeleted, GroupMoved []time.Duration
}

// measureReaction runs trials of each kind: start a run, wait until its
// child is ready, change ZooKeeper, and time the child's SIGTERM against
// the instant just before the change was sent.
func measureReaction(f *fixture, trials int) (reactionResult, error) {
	var r reactionResult
	for i := range trials {
		d, err := f.reactOnce(nil, "react-lock", func() error {
			return f.zk.Delete(prefix+"/locks/react-lock", -1)
		})
		if err != nil {
			return r, fmt.Errorf("lock deletion trial %d: %w", i, err)
		}
		r.LockDeleted = append(r.LockDeleted, d)
	}
	groupFlags := []string{"-g", group, "--hostname", benchHost}
	for i := range trials {
		d, err := f.reactOnce(groupFlags, "react-group", func() error {
			_, err := f.zk.Set(prefix, []byte(movedData), -1)
			return err
		})
		if err != nil {
			return r, fmt.Errorf("group move trial %d: %w", i, err)
		}
		if _, err := f.zk.Set(prefix, []byte(memberData), -1); err != nil {
			return r, fmt.Errorf("restore group data: %w", err)
		}
		r.GroupMoved = append(r.GroupMoved, d)
	}
	return r, nil
}

// reactOnce runs one trial and checks that switchman reported the loss
// (exit 71) after its child was stopped.
func (f *fixture) reactOnce(flags []string, lockName string, change func() error) (time.Duration, error) {
	j, err := f.startWait(f.cfg, append(flags, "--lockname", lockName)...)
	if err != nil {
		return 0, err
	}
	env, err := j.waitReady(10 * time.Second)
	if err != nil {
		return 0, err
	}
	if !strings.Contains(env, "lock="+prefix+"/locks/"+lockName) {
		j.kill()
		return 0, fmt.Errorf("child ran without the lock: %q", env)
	}
	// A random pause, so the change does not always land at the same
	// phase of the guard's heartbeat.
	time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
	changed := time.Now()
	if err := change(); err != nil {
		j.kill()
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	termed, err := j.waitTerm(ctx)
	if err != nil {
		j.kill()
		return 0, err
	}
	if err := j.waitLost(); err != nil {
		return 0, err
	}
	return termed.Sub(changed), nil
}
