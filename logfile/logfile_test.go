package logfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestPath(t *testing.T) {
	t.Parallel()
	me := User()
	tests := []struct{ name, in, want string }{
		{"plain", "/var/log/switchman.log", "/var/log/switchman.log"},
		{"user", "/var/log/switchman/%u.log", "/var/log/switchman/" + me + ".log"},
		{"percent", "/tmp/100%%-%u", "/tmp/100%-" + me},
		{"unknown placeholder kept", "/tmp/%x.log", "/tmp/%x.log"},
		{"trailing percent", "/tmp/a%", "/tmp/a%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Path(tt.in); got != tt.want {
				t.Errorf("Path(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestOpenPlanted checks Open in a directory every user may write
// (as the package's /var/log/switchman): a symlink or a hard link planted
// under our name is refused, our own file is used, and in a private
// directory any file is.
func TestOpenPlanted(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o1733); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	symlink, hardlink := filepath.Join(shared, "sym.log"), filepath.Join(shared, "hard.log")
	if err := os.Symlink(target, symlink); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(target, hardlink); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{symlink, hardlink} {
		if f, err := Open(p); err == nil {
			f.Close()
			t.Errorf("Open(%s) followed a planted link", p)
		}
	}
	if _, err := Open(hardlink); !errors.Is(err, ErrNotOwn) {
		t.Errorf("Open(hard link) = %v, want ErrNotOwn", err)
	}
	own := filepath.Join(shared, strconv.Itoa(os.Getpid())+".log")
	f, err := Open(own)
	if err != nil {
		t.Fatalf("Open(own new file): %v", err)
	}
	f.Close()
	if st, err := os.Stat(own); err != nil || st.Mode().Perm()&0o037 != 0 {
		t.Errorf("new log file mode %v (%v), want at most 0640", st.Mode().Perm(), err)
	}
	private := filepath.Join(t.TempDir(), "other.log")
	if err := os.Link(target, private); err != nil {
		t.Fatal(err)
	}
	if f, err := Open(private); err != nil {
		t.Errorf("Open in a private directory: %v", err)
	} else {
		f.Close()
	}
}
