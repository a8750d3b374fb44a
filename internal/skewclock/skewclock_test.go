package skewclock

import (
	"testing"
	"time"
)

func TestOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"20s", 20 * time.Second, false},
		{"-1m30s", -90 * time.Second, false},
		{"soon", 0, true},
		{"20", 0, true},
	}
	for _, tt := range tests {
		got, err := Offset(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Offset(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestShifted(t *testing.T) {
	t.Parallel()
	if Shifted(0) != nil {
		t.Error("Shifted(0) is not the wall clock (nil)")
	}
	for _, d := range []time.Duration{30 * time.Second, -30 * time.Second} {
		before := time.Now().Add(d)
		got := Shifted(d)()
		after := time.Now().Add(d)
		if got.Before(before) || got.After(after) {
			t.Errorf("Shifted(%v)() = %v, want within [%v, %v]", d, got, before, after)
		}
	}
}
