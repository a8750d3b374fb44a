package job

import (
	"fmt"
	"testing"
	"time"
)

// TestSplayOffset checks the offset's contract: the same for the same lock
// and host, inside [0, d), and spread over the window by hosts and by jobs.
func TestSplayOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		lock, host string
		d          time.Duration
		want       time.Duration // -1: any offset in [0, d)
	}{
		{"no splay", "backup", "h1.example.com", 0, 0},
		{"negative splay", "backup", "h1.example.com", -time.Second, 0},
		{"one nanosecond window", "backup", "h1.example.com", 1, 0},
		{"thirty seconds", "backup", "h1.example.com", 30 * time.Second, -1},
		{"an hour", "report", "web7.example.com", time.Hour, -1},
		{"empty names", "", "", time.Minute, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := SplayOffset(tt.lock, tt.host, tt.d)
			if again := SplayOffset(tt.lock, tt.host, tt.d); again != got {
				t.Fatalf("offset changed between calls: %v, then %v", got, again)
			}
			switch {
			case tt.want >= 0 && got != tt.want:
				t.Errorf("SplayOffset = %v, want %v", got, tt.want)
			case tt.want < 0 && (got < 0 || got >= tt.d):
				t.Errorf("SplayOffset = %v, outside [0, %v)", got, tt.d)
			}
		})
	}
}

// TestSplayOffsetStable pins a few offsets: a change of the function would
// move every host's runs within their tick, which must be deliberate.
func TestSplayOffsetStable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lock, host string
		want       time.Duration
	}{
		{"backup", "h1.example.com", 43565095431},
		{"backup", "h2.example.com", 37054394380},
		{"report", "h1.example.com", 52925364924},
		{"ab\x00c", "", 23111740643},
		{"ab", "c", 25315412475},
	} {
		if got := SplayOffset(tt.lock, tt.host, time.Minute); got != tt.want {
			t.Errorf("SplayOffset(%q, %q, 1m) = %v, want %v", tt.lock, tt.host, got, tt.want)
		}
	}
}

// TestSplayOffsetSpread places one job on 1,000 hosts, and 1,000 jobs on
// one host, over a 60 s window: every tenth of it must get a share near
// a tenth (a clustered offset would bring the herd back), and hosts and
// names that differ by a digit must not line up.
func TestSplayOffsetSpread(t *testing.T) {
	t.Parallel()
	const n, buckets = 1000, 10
	d := time.Minute
	for _, tt := range []struct {
		name string
		key  func(i int) (lock, host string)
	}{
		{"one job, many hosts", func(i int) (string, string) { return "backup", fmt.Sprintf("web%03d.example.com", i) }},
		{"many jobs, one host", func(i int) (string, string) { return fmt.Sprintf("job-%d", i), "web001.example.com" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var count [buckets]int
			seen := map[time.Duration]bool{}
			for i := range n {
				lock, host := tt.key(i)
				off := SplayOffset(lock, host, d)
				count[off*buckets/d]++
				seen[off] = true
			}
			for b, c := range count {
				// Binomial(1000, 0.1): mean 100, sd 9.5; 60 and 140 are
				// over 4 sd away.
				if c < 60 || c > 140 {
					t.Errorf("tenth %d of the window got %d of %d runs: %v", b, c, n, count)
				}
			}
			if len(seen) < n-5 {
				t.Errorf("%d distinct offsets for %d keys", len(seen), n)
			}
		})
	}
}
