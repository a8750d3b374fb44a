//go:build !soakclock

package skewclock

import "testing"

// A production build runs on the host's clock, whatever the environment.
func TestNowIgnoresTheEnvironment(t *testing.T) {
	t.Parallel()
	if Now(func(string) string { return "20s" }) != nil {
		t.Errorf("a build without the soakclock tag shifts its clock by %s", EnvVar)
	}
}
