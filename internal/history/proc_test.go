package history

import (
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	tail := " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 20 21"
	tests := []struct {
		name string
		line string
		want stat
		ok   bool
	}{
		{"plain", "42 (histchild) S" + tail, stat{"histchild", 'S', 777}, true},
		{"a name with spaces and parentheses", "42 (a (b) c) R" + tail, stat{"a (b) c", 'R', 777}, true},
		{"zombie", "42 (histchild) Z" + tail, stat{"histchild", 'Z', 777}, true},
		{"cut before the start time", "42 (histchild) S 1 2", stat{"histchild", 'S', 0}, true},
		{"no parentheses", "42 histchild S", stat{}, false},
		{"nothing after the name", "42 (histchild)", stat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseStat(tt.line)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseStat(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

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
