package fleet

import (
	"errors"
	"strings"
	"testing"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

func TestGroups(t *testing.T) {
	srv := zktest.Start(t)
	tests := []struct {
		name, prefix, data string
		create             bool
		wantGroups         int
		wantErr            func(error) bool
	}{
		{"parsed", "/g1", `{"groups":{"a":["x"],"b":"y"}}`, true, 2, nil},
		{"empty data", "/g2", ``, true, 0, nil},
		{"invalid data names the prefix", "/g3", `{"groups":[]}`, true, 0, func(err error) bool {
			return errors.As(err, new(*config.DataError)) && strings.HasPrefix(err.Error(), "/g3: ")
		}},
		{"no prefix", "/g4", ``, false, 0, func(err error) bool { return errors.Is(err, lock.ErrNoPrefix) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(dial(t, srv.Addr), tt.prefix)
			if tt.create {
				s = store(t, srv.Addr, tt.prefix, tt.data)
			}
			d, err := s.Groups()
			switch {
			case tt.wantErr != nil:
				if !tt.wantErr(err) {
					t.Fatalf("Groups() error %v", err)
				}
			case err != nil:
				t.Fatalf("Groups(): %v", err)
			case len(d.Groups) != tt.wantGroups:
				t.Errorf("Groups() = %v, want %d groups", d.Groups, tt.wantGroups)
			}
		})
	}
}

func TestHistoryJSON(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"JSON as is", `{"groups":{}}`, `{"groups":{}}`},
		{"empty as an object", " \n", `{}`},
		{"not JSON as a string", "{broken", `"{broken"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(HistoryJSON([]byte(tt.in))); got != tt.want {
				t.Errorf("HistoryJSON(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
