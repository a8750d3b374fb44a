package catchup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/config"
)

// TestRunWithoutZooKeeper: what catch-up decides before it connects.
// Load fails the test's way, so a line that would connect says so.
func TestRunWithoutZooKeeper(t *testing.T) {
	t.Parallel()
	errLoad := errors.New("would connect")
	for _, tt := range []struct {
		name     string
		files    map[string]string
		outcomes int
		wantErr  error // nil: no error
	}{
		{"missing directory", nil, 0, os.ErrNotExist},
		{"file cron ignores", map[string]string{"jobs.bak": "* * * * * app switchman --schedule '* * * * *' --catch-up 1h -- /bin/true\n"}, 0, nil},
		{"lines without --schedule or with --no-lock", map[string]string{"jobs": "* * * * * app switchman -- /bin/true\n" +
			"* * * * * app switchman --no-lock --schedule '* * * * *' -- /bin/true\n"}, 0, nil},
		{"bad --schedule: a usage error, before connecting", map[string]string{"jobs": "* * * * * app switchman --schedule '61 * * * *' -- /bin/true\n"},
			1, cmdline.ErrUsage},
		{"scheduled line connects", map[string]string{"jobs": "* * * * * app switchman --schedule '* * * * *' -- /bin/true\n"}, 1, errLoad},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "cron.d")
			if tt.files != nil {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for name, text := range tt.files {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			o := Options{Dir: dir, Load: func(string) (*config.Config, error) { return nil, errLoad }}
			outs, err := Run(context.Background(), o, zerolog.Nop())
			if len(outs) != tt.outcomes {
				t.Errorf("%d outcomes %+v, want %d", len(outs), outs, tt.outcomes)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
		})
	}
}
