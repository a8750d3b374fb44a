package supervise

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTail(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		size   int
		writes []string
		want   string
		cut    bool
	}{
		{"empty", 8, nil, "", false},
		{"fits", 8, []string{"abc", "de"}, "abcde", false},
		{"exactly full", 4, []string{"ab", "cd"}, "abcd", false},
		{"wraps", 4, []string{"abc", "def"}, "cdef", true},
		{"one big write", 4, []string{"0123456789"}, "6789", true},
		{"wraps many times", 3, []string{"a", "b", "c", "d", "e", "f", "g"}, "efg", true},
		// "é" is two bytes, "€" three: a cut inside one drops it whole.
		{"cut inside a two-byte rune", 4, []string{"xé", "abc"}, "abc", true},
		{"cut inside a three-byte rune", 5, []string{"€", "abc"}, "abc", true},
		{"cut before a rune", 5, []string{"x€", "ab"}, "€ab", true},
		{"off", 0, []string{"abc"}, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tl := NewTail(tt.size)
			for _, w := range tt.writes {
				tl.add([]byte(w))
			}
			got, cut := tl.String()
			if got != tt.want || cut != tt.cut {
				t.Errorf("String() = %q, %v; want %q, %v", got, cut, tt.want, tt.cut)
			}
		})
	}
}

// TestTailRuneBoundary: whatever the split, the tail of valid UTF-8 is valid
// UTF-8 and a suffix of the input at most size bytes long.
func TestTailRuneBoundary(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("aé€😀", 700) // 1, 2, 3 and 4-byte runes
	for size := 1; size <= 4096; size += 7 {
		tl := NewTail(size)
		for i := 0; i < len(in); i += 13 {
			tl.add([]byte(in[i:min(i+13, len(in))]))
		}
		got, cut := tl.String()
		if !cut || !utf8.ValidString(got) || !strings.HasSuffix(in, got) || len(got) > size || len(got) < size-3 {
			t.Fatalf("size %d: %d bytes, cut %v, valid %v", size, len(got), cut, utf8.ValidString(got))
		}
	}
}

// TestTailTeePassesThrough: the real stream gets every byte, in order.
func TestTailTeePassesThrough(t *testing.T) {
	t.Parallel()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTail(4)
	w := tl.Tee(f)
	for _, s := range []string{"hello ", "wörld", "\n"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	f.Close()
	b, _ := os.ReadFile(f.Name())
	if string(b) != "hello wörld\n" {
		t.Fatalf("stream got %q", b)
	}
	if got, _ := tl.String(); got != "rld\n" {
		t.Fatalf("tail %q", got)
	}
}
