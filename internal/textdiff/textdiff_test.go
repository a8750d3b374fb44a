package textdiff

import "testing"

func TestUnified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, old, new, want string
	}{
		{name: "equal", old: "a\nb\n", new: "a\nb\n", want: ""},
		{name: "from empty", old: "", new: "a\nb\n", want: "--- o\n+++ n\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{name: "to empty", old: "a\n", new: "", want: "--- o\n+++ n\n@@ -1 +0,0 @@\n-a\n"},
		{name: "change in the middle", old: "1\n2\n3\n4\n5\n6\n7\n8\n9\n", new: "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			want: "--- o\n+++ n\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{name: "two hunks", old: "a\n1\n2\n3\n4\n5\n6\n7\nz\n", new: "A\n1\n2\n3\n4\n5\n6\n7\nZ\n",
			want: "--- o\n+++ n\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-z\n+Z\n"},
		{name: "close changes share a hunk", old: "a\n1\n2\nb\n", new: "A\n1\n2\nB\n",
			want: "--- o\n+++ n\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n-b\n+B\n"},
		{name: "insert keeps common lines", old: "x\ny\n", new: "x\nnew\ny\n", want: "--- o\n+++ n\n@@ -1,2 +1,3 @@\n x\n+new\n y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Unified("o", "n", []byte(tt.old), []byte(tt.new)); got != tt.want {
				t.Errorf("Unified =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestFull(t *testing.T) {
	tests := []struct{ name, a, b, want string }{
		{"equal", "x\ny\n", "x\ny", ""},
		{"added", "x\n", "x\ny\n", "  x\n+ y\n"},
		{"changed", "x\ny\nz", "x\nq\nz", "  x\n- y\n+ q\n  z\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Full(tt.a, tt.b); got != tt.want {
				t.Fatalf("got %q want %q", got, tt.want)
			}
		})
	}
}
