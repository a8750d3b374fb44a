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
		only     []string
		outcomes int
		wantErr  error // nil: no error
	}{
		{"missing directory", nil, nil, 0, os.ErrNotExist},
		{"file cron ignores", map[string]string{"jobs.bak": "* * * * * app switchman --schedule '* * * * *' --catch-up 1h -- /bin/true\n"}, nil, 0, nil},
		{"lines without --schedule or with --no-lock", map[string]string{"jobs": "* * * * * app switchman -- /bin/true\n" +
			"* * * * * app switchman --no-lock --schedule '* * * * *' -- /bin/true\n"}, nil, 0, nil},
		{"bad --schedule: a usage error, before connecting", map[string]string{"jobs": "* * * * * app switchman --schedule '61 * * * *' -- /bin/true\n"},
			nil, 1, cmdline.ErrUsage},
		{"scheduled line connects", map[string]string{"jobs": "* * * * * app switchman --schedule '* * * * *' -- /bin/true\n"}, nil, 1, errLoad},
		{"only the files named", map[string]string{"jobs": "* * * * * app switchman --schedule '* * * * *' -- /bin/true\n",
			"mine": "* * * * * app switchman -- /bin/true\n"}, []string{"mine"}, 0, nil},
		{"a named file cron does not read: usage", map[string]string{"jobs.bak": ""}, []string{"jobs.bak"}, 0, ErrNoFile},
		{"a named file that is not there: usage", map[string]string{"jobs": ""}, []string{"gone"}, 0, cmdline.ErrUsage},
		{"a catch-up line is no wrapper line", map[string]string{"jobs": "*/5 * * * * app switchman catch-up jobs\n"}, []string{"jobs"}, 0, nil},
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
			o := Options{Dir: dir, Files: tt.only, Load: func(string) (*config.Config, error) { return nil, errLoad }}
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
