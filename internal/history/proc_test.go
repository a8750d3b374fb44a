package history

import (
	"testing"
	"time"
)

func TestRunProcs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra map[string]string
		want  []Proc
	}{
		{"child only, an old log without start times", map[string]string{}, []Proc{{PID: 10}}},
		{"with start times", map[string]string{"ticks": "5", "grandchildren": "11,12", "grandchildren_ticks": "6,7"},
			[]Proc{{10, 5}, {11, 6}, {12, 7}}},
		{"grandchildren without start times", map[string]string{"grandchildren": "11,12"}, []Proc{{10, 0}, {11, 0}, {12, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Run{PID: 10, Start: time.Now(), Extra: tt.extra}.Procs()
			if len(got) != len(tt.want) {
				t.Fatalf("Procs() = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Procs()[%d] = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
