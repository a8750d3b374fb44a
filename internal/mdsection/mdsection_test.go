package mdsection

import "testing"

func TestReplace(t *testing.T) {
	s := Section{Begin: "<!-- b -->", End: "<!-- e -->"}
	tests := []struct {
		name, doc, body, want string
	}{
		{"empty doc", "", "x", "<!-- b -->\nx\n<!-- e -->\n"},
		{"appended", "# R\ntext", "x\n", "# R\ntext\n\n<!-- b -->\nx\n<!-- e -->\n"},
		{"replaced, rest kept", "a\n<!-- b -->\nold\n<!-- e -->\nz\n", "new\n", "a\n<!-- b -->\nnew\n<!-- e -->\nz\n"},
		{"end before begin", "<!-- e -->\n<!-- b -->\n", "x", "<!-- e -->\n<!-- b -->\n\n<!-- b -->\nx\n<!-- e -->\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Replace(tt.doc, tt.body); got != tt.want {
				t.Errorf("Replace(%q, %q) = %q, want %q", tt.doc, tt.body, got, tt.want)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	s := Section{Begin: "<!-- b -->", End: "<!-- e -->"}
	tests := []struct{ name, doc, want string }{
		{"none", "a\n", ""},
		{"unterminated", "<!-- b -->\nx\n", ""},
		{"found", "a\n<!-- b -->\nx\n<!-- e -->\nz\n", "<!-- b -->\nx\n<!-- e -->\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Extract(tt.doc); got != tt.want {
				t.Errorf("Extract(%q) = %q, want %q", tt.doc, got, tt.want)
			}
		})
	}
}

func TestTally(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]int
		want string
	}{
		{"none", nil, ""},
		{"sorted", map[string]int{"71": 1, "0": 12, "killed": 2}, "0×12 71×1 killed×2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tally(tt.m); got != tt.want {
				t.Errorf("Tally(%v) = %q, want %q", tt.m, got, tt.want)
			}
		})
	}
}
