package main

import "testing"

func TestDebVersion(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"release tag", "v1.2.0", "1.2.0"},
		{"bare release", "0.0.0+debtest", "0.0.0+debtest"},
		{"commit", "a1b2c3d", "0~git.a1b2c3d"},
		{"dirty commit", "a1b2c3d-dirty", "0~git.a1b2c3d.dirty"},
		{"tag plus commits", "v1.2.0-3-ga1b2c3d", "0~git.v1.2.0.3.ga1b2c3d"},
		{"dev", "dev", "0~git.dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := debVersion(tt.in); got != tt.want {
				t.Errorf("debVersion(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
