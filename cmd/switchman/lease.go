package main

import (
	"context"
	"errors"
)

var errLeasesUnsupported = errors.New("--lease is not available in this build yet")

// validateLeaseFlags checks --lease specs. Leases are being built (issue 3);
// until then any --lease is refused, so a job never runs without a lease it
// asked for.
func validateLeaseFlags(specs []string) error {
	if len(specs) > 0 {
		return errLeasesUnsupported
	}
	return nil
}

func (j *job) takeLeases(ctx context.Context) (bool, error) { return true, nil }
