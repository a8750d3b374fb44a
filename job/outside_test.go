package job

import "testing"

func TestOutsideMemo(t *testing.T) {
	dir := t.TempDir()
	servers := []string{"zk1:2181", "zk2:2181"}
	data := []byte(`{"groups":{"g":["a.example.com"]}}`)
	m := outsideMemoOf(dir, servers, "/p", "g", "b.example.com")
	for _, tc := range []struct {
		name string
		memo outsideMemo
		want bool // has a path of its own
	}{
		{"no cache directory", outsideMemoOf("", servers, "/p", "g", "b.example.com"), false},
		{"no group", outsideMemoOf(dir, servers, "/p", "", "b.example.com"), false},
		{"another host", outsideMemoOf(dir, servers, "/p", "g", "c.example.com"), true},
		{"another group", outsideMemoOf(dir, servers, "/p", "h", "b.example.com"), true},
		{"another prefix", outsideMemoOf(dir, servers, "/q", "g", "b.example.com"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.memo.path != ""; got != tc.want {
				t.Fatalf("path %q, want one: %v", tc.memo.path, tc.want)
			}
			if tc.memo.path == m.path {
				t.Errorf("shares the memo %s", m.path)
			}
			tc.memo.remember(data) // a memo without a path writes nothing
			if tc.memo.matches(data) != tc.want || tc.memo.exists() != tc.want {
				t.Errorf("after remember: matches %v, exists %v, want %v", tc.memo.matches(data), tc.memo.exists(), tc.want)
			}
		})
	}
	if m.exists() || m.matches(data) {
		t.Fatal("a memo before it was written")
	}
	m.remember(data)
	if !m.exists() || !m.matches(data) {
		t.Fatal("the memo was not written")
	}
	if m.matches([]byte(`{"groups":{"g":["a.example.com","b.example.com"]}}`)) {
		t.Error("the memo matches other group data")
	}
	m.forget()
	if m.exists() || m.matches(data) {
		t.Error("the memo outlived forget")
	}
}
