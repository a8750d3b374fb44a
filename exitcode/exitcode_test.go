package exitcode

import (
	"errors"
	"testing"
)

var errKind = errors.New("kind")

func TestErrors(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		name   string
		err    error
		text   string
		is     error
		silent bool
	}{
		{"child status", &Error{Code: 3}, "exit status 3", nil, true},
		{"status with message", &Error{Code: 130, Err: cause}, "cause", cause, false},
		{"kinded", Of(errKind, "waited %s", "1s"), "waited 1s", errKind, false},
		{"kinded wraps", Of(errKind, "x: %w", cause), "x: cause", cause, false},
		{"silent", Silent(Of(errKind, "moved")), "moved", errKind, true},
		{"plain", cause, "cause", cause, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.text {
				t.Errorf("Error() = %q, want %q", got, tt.text)
			}
			if tt.is != nil && !errors.Is(tt.err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.is)
			}
			if got := IsSilent(tt.err); got != tt.silent {
				t.Errorf("IsSilent = %v, want %v", got, tt.silent)
			}
		})
	}
}
