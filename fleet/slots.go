package fleet

import (
	"time"

	"github.com/acme/switchman/lock"
)

// Scheduled is one job's slot register (lock.SlotsDir) as the fleet's
// readers see it: the job's schedule record and its claimed slots.
type Scheduled struct {
	// Lock is the job's lock name.
	Lock string
	// Record is the register's data: the schedule record (slot.Schedule).
	Record []byte
	// Created is when the register was made: when the schedule was first
	// recorded.
	Created time.Time
	// Claimed are the names of its claimed slots, sorted.
	Claimed []string
	// Newest is the data of its newest claim (SlotClaim), when the reader
	// read it (status.Claims); nil otherwise.
	Newest []byte
}

// Scheduled reads every job's slot register, by lock name: two reads per
// job. A register deleted meanwhile is left out.
func (s *Store) Scheduled() ([]Scheduled, error) {
	names, err := s.conn.List(s.path(lock.SlotsDir))
	if err != nil {
		return nil, err
	}
	var out []Scheduled
	for _, name := range names {
		p := s.path(lock.SlotsDir, name)
		data, st, err := s.conn.Read(p)
		if err != nil {
			return nil, err
		}
		if st == nil {
			continue
		}
		claimed, err := s.conn.List(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Scheduled{Lock: name, Record: data, Created: time.UnixMilli(st.Ctime).UTC(), Claimed: claimed})
	}
	return out, nil
}

// SlotClaim reads the data of the claim of slot name in job lockName's
// register (a slot.Claim's JSON): one read. A claim that is gone
// (pruned, given back) is nil, with no error.
func (s *Store) SlotClaim(lockName, name string) ([]byte, error) {
	data, st, err := s.conn.Read(s.path(lock.SlotsDir, lockName, name))
	if err != nil || st == nil {
		return nil, err
	}
	return data, nil
}
