package fleet

import (
	"os"
	"strconv"
	"testing"

	"github.com/acme/switchman/internal/procstat"
)

func TestClaimGone(t *testing.T) {
	self, err := procstat.Self()
	if err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(self.PID)
	tests := []struct {
		name  string
		claim string
		want  bool
	}{
		{"this very process", claimant(), false},
		{"its pid, another start: the pid was reused", pid + "-" + strconv.FormatUint(self.Start+1, 10), true},
		{"no process has the pid", "999999999-5", true},
		{"an older claimant, pid alone, alive", pid, false},
		{"an older claimant, pid alone, gone", "999999999", true},
		{"not a pid", "abc", false},
		{"a pid of 0", "0-5", false},
		{"a bad start time", pid + "-x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := claimGone(tt.claim); got != tt.want {
				t.Errorf("claimGone(%q) = %v, want %v", tt.claim, got, tt.want)
			}
		})
	}
	if c := claimant(); c != pid+"-"+strconv.FormatUint(self.Start, 10) {
		t.Errorf("claimant() = %q, want pid-start of %d", c, os.Getpid())
	}
}
