// Package status is the one read model of a fleet: a Snapshot of the
// state under a prefix (locks held, queues, semaphores, halt and pause
// markers, run records, heartbeats, job histories, the group data), read
// through fleet.Store's exported methods. `switchman status`, the
// dashboard and the Nagios checks all read the fleet through it; each
// names the parts it needs, so that none pays for reads it does not use.
package status

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

// Part is a set of a Snapshot's parts, combined with |.
type Part uint

// The parts of a Snapshot, each the field it fills.
const (
	Locks      Part = 1 << iota // Locks
	Queues                      // Queues
	Semaphores                  // Semaphores
	Halts                       // Halted
	Pauses                      // Paused
	Runs                        // Runs
	Heartbeats                  // Heartbeats
	Histories                   // Histories
	Groups                      // Data
	Slots                       // Scheduled
	// Claims fills Scheduled[].Newest, the newest claim of each job: one
	// read per job more than Slots, which it implies.
	Claims

	// Shown is what `switchman status` shows.
	Shown = Locks | Queues | Semaphores | Halts | Pauses | Runs
)

// Snapshot is the fleet's state under one prefix as read at one time.
// Only the parts read are filled. Its JSON is what `switchman status -o
// json` prints: the parts status shows, each [] or {} when empty, never
// null, so that scripts can iterate over every field without a check.
type Snapshot struct {
	Locks      []fleet.Holder         `json:"locks"`
	Queues     map[string]int         `json:"queues"`     // waiters per queue
	Semaphores map[string]Semaphore   `json:"semaphores"` // by resource
	Halted     map[string]fleet.Halt  `json:"halted"`     // by job
	Paused     map[string]fleet.Pause `json:"paused"`     // by marker (see fleet.PauseName)
	Runs       []fleet.Run            `json:"runs"`       // by job, then host

	// Prefix is the prefix znode read, and Read when the reading began.
	Prefix string    `json:"-"`
	Read   time.Time `json:"-"`
	// Heartbeats is every host's last heartbeat, by host.
	Heartbeats map[string]time.Time `json:"-"`
	// Histories is the history of every job in Jobs, oldest run first.
	Histories map[string][]fleet.PastRun `json:"-"`
	// Data is the prefix znode's group data, parsed.
	Data *config.Data `json:"-"`
	// Scheduled is every scheduled job's slot register.
	Scheduled []fleet.Scheduled `json:"-"`

	job string
}

// Semaphore is a resource's use: the units held, of how many, and by whom
// (see HolderName).
type Semaphore struct {
	Used    int64    `json:"used"`
	Total   int64    `json:"total"`
	Holders []string `json:"holders"`
}

// Read reads the parts of the fleet under s's prefix. A job other than ""
// narrows it to that job: its lock, its run records and its history, with
// every halt and pause marker; queues and semaphores, which are not a
// job's, are then not read. It returns the first error of the store's
// reads, or of parsing the group data.
func Read(s *fleet.Store, job string, parts Part) (*Snapshot, error) {
	snap := &Snapshot{
		Prefix: s.Prefix(), Read: time.Now().UTC(), job: job,
		Queues: map[string]int{}, Semaphores: map[string]Semaphore{},
	}
	if job != "" {
		parts &^= Queues | Semaphores
	}
	if parts&Claims != 0 {
		parts |= Slots
	}
	for _, r := range readers {
		if parts&r.part == 0 {
			continue
		}
		if err := r.read(s, snap); err != nil {
			return nil, err
		}
	}
	snap.emptyNotNull()
	return snap, nil
}

// readers fill the parts in this order; Histories comes last, as it reads
// the history of every job the other parts name.
var readers = []struct {
	part Part
	read func(*fleet.Store, *Snapshot) error
}{
	{Groups, readGroups},
	{Locks, readLocks},
	{Halts, func(s *fleet.Store, snap *Snapshot) (err error) { snap.Halted, err = s.Halts(); return err }},
	{Pauses, func(s *fleet.Store, snap *Snapshot) (err error) { snap.Paused, err = s.Pauses(); return err }},
	{Runs, func(s *fleet.Store, snap *Snapshot) (err error) { snap.Runs, err = s.Runs(snap.job); return err }},
	{Queues, readQueues},
	{Semaphores, readSemaphores},
	{Heartbeats, func(s *fleet.Store, snap *Snapshot) (err error) { snap.Heartbeats, err = s.Heartbeats(); return err }},
	{Slots, func(s *fleet.Store, snap *Snapshot) (err error) { snap.Scheduled, err = s.Scheduled(); return err }},
	{Claims, readClaims},
	{Histories, readHistories},
}

// emptyNotNull makes the parts status shows [] or {} when empty, never
// nil (null in JSON).
func (snap *Snapshot) emptyNotNull() {
	if snap.Locks == nil {
		snap.Locks = []fleet.Holder{}
	}
	if snap.Runs == nil {
		snap.Runs = []fleet.Run{}
	}
	if snap.Halted == nil {
		snap.Halted = map[string]fleet.Halt{}
	}
	if snap.Paused == nil {
		snap.Paused = map[string]fleet.Pause{}
	}
}

func readGroups(s *fleet.Store, snap *Snapshot) error {
	var err error
	snap.Data, err = s.Groups()
	return err
}

func readLocks(s *fleet.Store, snap *Snapshot) error {
	locks, err := s.Locks()
	if err != nil {
		return err
	}
	for _, l := range locks {
		if snap.job == "" || l.Name == snap.job {
			snap.Locks = append(snap.Locks, l)
		}
	}
	return nil
}

func readQueues(s *fleet.Store, snap *Snapshot) error {
	queues, err := s.Waiters(lock.QueuesDir) // on error, Read drops snap
	for q, w := range queues {
		snap.Queues[q] = len(w)
	}
	return err
}

func readSemaphores(s *fleet.Store, snap *Snapshot) error {
	leases, err := s.Leases() // on error, Read drops snap
	for r, ls := range leases {
		snap.Semaphores[r] = semaphore(ls)
	}
	return err
}

// semaphore sums a resource's holders.
func semaphore(ls []fleet.Lease) Semaphore {
	v := Semaphore{Holders: []string{}}
	for _, l := range ls {
		v.Used += l.Count
		v.Total = l.Total
		v.Holders = append(v.Holders, HolderName(l))
	}
	return v
}

// HolderName names a lease holder: "host:pid" (the node's name when it
// names no host), then "xCOUNT" when it holds more than one unit, and
// "(original)" when the holder is the original tool.
func HolderName(l fleet.Lease) string {
	name := l.Node
	if l.Info.Host != "" {
		name = fmt.Sprintf("%s:%d", l.Info.Host, l.Info.PID)
	}
	if l.Count != 1 {
		name += fmt.Sprintf("x%d", l.Count)
	}
	if l.Info.Original {
		name += "(original)"
	}
	return name
}

// readHistories reads the history of every job in snap.Jobs, in parallel
// (the client pipelines the reads on its one connection).
func readHistories(s *fleet.Store, snap *Snapshot) error {
	jobs := snap.Jobs()
	hists := make([][]fleet.PastRun, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { hists[i], errs[i] = s.RunHistory(j) })
	}
	wg.Wait()
	snap.Histories = make(map[string][]fleet.PastRun, len(jobs))
	for i, j := range jobs {
		if errs[i] != nil {
			return errs[i]
		}
		if hists[i] == nil {
			hists[i] = []fleet.PastRun{}
		}
		snap.Histories[j] = hists[i]
	}
	return nil
}

// Jobs returns the names of the jobs the snapshot knows, sorted: those of
// its run records, held locks, halt markers and job pause markers (a group
// pause names no job). A snapshot of one job knows only that one.
func (snap *Snapshot) Jobs() []string {
	if snap.job != "" {
		return []string{snap.job}
	}
	seen := map[string]bool{}
	for _, r := range snap.Runs {
		seen[r.Lock] = true
	}
	for _, l := range snap.Locks {
		seen[l.Name] = true
	}
	for n := range snap.Halted {
		seen[n] = true
	}
	for n := range snap.Paused {
		if _, isGroup := fleet.IsGroupPause(n); !isGroup {
			seen[n] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
