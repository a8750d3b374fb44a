package slot

import (
	"slices"
	"testing"
	"time"

	"github.com/acme/switchman/crontab"
)

func TestOf(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string, loc *time.Location) time.Time {
		v, err := time.ParseInLocation(time.DateTime, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		name, spec string
		now        time.Time
		want       string // Name of the slot; "" for none
	}{
		{"fired on time", "* * * * *", at("2026-12-06 18:00:00", time.UTC), "20261206T180000Z"},
		{"fired 30 s late: the same slot", "* * * * *", at("2026-12-06 18:00:30", time.UTC), "20261206T180000Z"},
		{"fired 59 s late: still the same slot", "* * * * *", at("2026-12-06 18:00:59", time.UTC), "20261206T180000Z"},
		{"more than a period late: the next slot", "*/5 * * * *", at("2026-12-06 18:05:10", time.UTC), "20261206T180500Z"},
		{"daily job run by hand in the afternoon", "30 3 * * *", at("2026-12-06 15:00:00", time.UTC), "20261206T033000Z"},
		{"read in the cron daemon's zone", "0 3 * * *", at("2026-12-06 03:00:05", paris), "20261206T020000Z"},
		{"@reboot has no slot", "@reboot", at("2026-12-06 18:00:00", time.UTC), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := crontab.Compile(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got := Of(s, tt.now)
			if tt.want == "" {
				if !got.IsZero() {
					t.Fatalf("slot %s, want none", got)
				}
				return
			}
			if Name(got) != tt.want {
				t.Fatalf("slot %s, want %s", Name(got), tt.want)
			}
			back, err := Parse(tt.want)
			if err != nil || !back.Equal(got) {
				t.Fatalf("Parse(%s) = %s, %v; want %s", tt.want, back, err, got)
			}
		})
	}
}

func TestDecideAndPrune(t *testing.T) {
	t.Parallel()
	claimed := []string{"20261206T175800Z", "20261206T175900Z", "20261206T180000Z"}
	for _, tt := range []struct {
		name   string
		slot   string
		keep   int
		want   Verdict
		pruned []string
	}{
		{"newer slot is free", "20261206T180100Z", 100, Free, nil},
		{"claimed slot", "20261206T175900Z", 100, Claimed, nil},
		{"older unclaimed slot, few kept: free", "20261206T170000Z", 100, Free, nil},
		{"older than every claim kept, keep reached: stale", "20261206T170000Z", 3, Stale, []string{"20261206T175800Z"}},
		{"keep reached: the oldest are forgotten", "20261206T180100Z", 2, Free, []string{"20261206T175800Z", "20261206T175900Z"}},
		{"keep 1 keeps only the new claim", "20261206T180100Z", 1, Free, claimed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(claimed, tt.slot, tt.keep); got != tt.want {
				t.Errorf("Decide = %s, want %s", got, tt.want)
			}
			if got := Prune(claimed, tt.keep); !slices.Equal(got, tt.pruned) {
				t.Errorf("Prune = %q, want %q", got, tt.pruned)
			}
		})
	}
	if got := Decide(nil, "20261206T180000Z", 1); got != Free {
		t.Errorf("no claims: %s, want free", got)
	}
}

func TestStandbyWait(t *testing.T) {
	t.Parallel()
	slotAt := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		rank int
		d    time.Duration
		now  time.Time
		want time.Duration
	}{
		{"primary never waits", 0, time.Minute, slotAt, 0},
		{"first standby waits D after the slot", 1, 2 * time.Second, slotAt.Add(300 * time.Millisecond), 1700 * time.Millisecond},
		{"second standby waits 2D", 2, 2 * time.Second, slotAt, 4 * time.Second},
		{"started late: no wait left", 1, 2 * time.Second, slotAt.Add(5 * time.Second), 0},
		{"no --standby: no wait", 3, 0, slotAt, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := StandbyWait(slotAt, tt.rank, tt.d, tt.now); got != tt.want {
				t.Errorf("wait %s, want %s", got, tt.want)
			}
		})
	}
}

func TestScheduleSame(t *testing.T) {
	t.Parallel()
	s := Schedule{Spec: "*/5 * * * *", Zone: "UTC"}
	for _, tt := range []struct {
		name string
		data string
		want bool
	}{
		{"same record", string(s.Marshal()), true},
		{"another spec", `{"schedule":"0 * * * *","zone":"UTC"}`, false},
		{"another standby", `{"schedule":"*/5 * * * *","zone":"UTC","standby":"2s"}`, false},
		{"empty register", "", false},
		{"damaged", "{", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Same([]byte(tt.data)); got != tt.want {
				t.Errorf("Same(%s) = %v, want %v", tt.data, got, tt.want)
			}
		})
	}
}

func TestLocalZone(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TZ": ":Europe/Paris"}
	if got := LocalZone(func(k string) string { return env[k] }); got != "Europe/Paris" {
		t.Errorf("with TZ: %q", got)
	}
	if got := LocalZone(func(string) string { return "" }); got == "" {
		t.Error("without TZ: empty zone name")
	}
}
