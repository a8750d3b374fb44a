package nagios

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMissed(t *testing.T) {
	t.Parallel()
	slotAt := time.Date(2026, 11, 30, 3, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		late  map[string]time.Time
		bad   map[string]error
		jobs  int
		state State
		text  string
	}{
		{"none scheduled", nil, nil, 0, OK, "0 scheduled jobs, none missed its last slot"},
		{"all ran", map[string]time.Time{}, nil, 3, OK, "3 scheduled jobs, none missed"},
		{"one missed", map[string]time.Time{"daily": slotAt}, nil, 3, Critical,
			"1 jobs missed their last slot: daily missed its slot of 2026-11-30T03:30:00Z"},
		{"missed and unreadable: critical, both named", map[string]time.Time{"daily": slotAt}, map[string]error{"odd": errors.New("bad zone")}, 3,
			Critical, "daily missed its slot of 2026-11-30T03:30:00Z, odd: bad zone"},
		{"unreadable only: warning", nil, map[string]error{"odd": errors.New("bad zone")}, 1, Warning,
			"1 schedule records unreadable: odd: bad zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Missed(tt.late, tt.bad, tt.jobs)
			if r.State != tt.state || !strings.Contains(r.Text, tt.text) {
				t.Errorf("Missed = %v %q, want %v containing %q", r.State, r.Text, tt.state, tt.text)
			}
		})
	}
}
