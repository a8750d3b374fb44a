package config

import (
	"os"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/golden"
)

// TestKeysDocumented checks that the documented keys are exactly the keys
// Parse accepts.
func TestKeysDocumented(t *testing.T) {
	doc := map[string]bool{}
	for _, k := range Keys {
		if doc[k.Name] {
			t.Errorf("key %q documented twice", k.Name)
		}
		doc[k.Name] = true
		if _, ok := keySetters[k.Name]; !ok {
			t.Errorf("key %q is documented but Parse does not accept it", k.Name)
		}
	}
	for name := range keySetters {
		if !doc[name] {
			t.Errorf("key %q is accepted but not documented in Keys", name)
		}
	}
}

// TestREADMEKeyTable checks that the README's config key table is
// KeysMarkdown, between its markers; -update rewrites it.
func TestREADMEKeyTable(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- config keys: generated from config.Keys -->\n", "<!-- end of config keys -->\n"
	readme := string(b)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q around the key table", path, begin, end)
	}
	want := readme[:i+len(begin)] + KeysMarkdown() + readme[j:]
	golden.Check(t, path, want)
}
