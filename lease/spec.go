package lease

import (
	"errors"
	"fmt"
	"strings"

	"github.com/acme/switchman/config"
)

// Sentinel errors. Callers compare with errors.Is.
var (
	// ErrSpec means a --lease spec is malformed or its values are out of
	// range: a command-line error.
	ErrSpec = errors.New("lease: invalid spec")
	// ErrUnknownResource means a lease names a resource the prefix data
	// does not list: a data error.
	ErrUnknownResource = errors.New("lease: unknown resource")
)

// MaxAmount is the largest COUNT or TOTAL accepted. It leaves room to add
// up the counts of millions of holders in an int64 without overflow.
const MaxAmount = 1 << 40

// ReservedPrefix starts names that switchman keeps for itself in the
// queues directory (the queues of --wait for busy locks); a resource name
// may not start with it.
const ReservedPrefix = "."

// SpecError is a malformed or out-of-range spec. It matches ErrSpec under
// errors.Is.
type SpecError struct {
	// Spec is the spec as given on the command line.
	Spec string
	// Err says what is wrong.
	Err error
}

func (e *SpecError) Error() string { return fmt.Sprintf("lease %q: %v", e.Spec, e.Err) }

// Unwrap returns the reason.
func (e *SpecError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrSpec) true.
func (e *SpecError) Is(target error) bool { return target == ErrSpec }

// Spec is a parsed RESOURCE=COUNT:TOTAL, before its macros are expanded.
type Spec struct {
	// Raw is the spec as given.
	Raw string
	// Resource is the resource name as given, macros unexpanded.
	Resource     string
	count, total *Expr
}

// Lease is a spec resolved on this host: Count of the Total units of
// Resource, with 1 <= Count <= Total <= MaxAmount.
type Lease struct {
	Resource     string
	Count, Total int64
	// Spec is the spec it came from, for error messages.
	Spec string
}

// String returns the lease as RESOURCE=COUNT:TOTAL, the form exported to
// the child.
func (l Lease) String() string { return fmt.Sprintf("%s=%d:%d", l.Resource, l.Count, l.Total) }

// ParseSpec parses RESOURCE=COUNT:TOTAL. The resource is everything before
// the first "="; COUNT and TOTAL are split at the first ":" and parsed with
// ParseExpr. Errors are *SpecError.
func ParseSpec(raw string) (*Spec, error) {
	res, amounts, ok := strings.Cut(raw, "=")
	count, total, ok2 := strings.Cut(amounts, ":")
	if !ok || !ok2 {
		return nil, &SpecError{raw, errors.New("want RESOURCE=COUNT:TOTAL, e.g. db=1:4")}
	}
	if res == "" {
		return nil, &SpecError{raw, errors.New("RESOURCE is empty")}
	}
	s := &Spec{Raw: raw, Resource: res}
	var err error
	if s.count, err = parsePart("COUNT", count); err != nil {
		return nil, &SpecError{raw, err}
	}
	if s.total, err = parsePart("TOTAL", total); err != nil {
		return nil, &SpecError{raw, err}
	}
	return s, nil
}

func parsePart(what, src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("%s is empty", what)
	}
	e, err := ParseExpr(src)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, src, err)
	}
	return e, nil
}

// UsesMacros reports whether the spec's value depends on the host.
func (s *Spec) UsesMacros() bool {
	return s.count.UsesMacros() || s.total.UsesMacros() || nameUsesMacros(s.Resource)
}

func nameUsesMacros(name string) bool {
	for _, m := range []string{"CPU", "FQDN", "MEMMB"} {
		if strings.Contains(name, m) {
			return true
		}
	}
	return false
}

// Resolve expands the macros with m and checks the result: a valid
// resource name, 1 <= COUNT <= TOTAL <= MaxAmount. Errors are *SpecError.
func (s *Spec) Resolve(m Macros) (Lease, error) {
	l := Lease{Resource: ExpandName(s.Resource, m), Spec: s.Raw}
	if err := checkResource(l.Resource); err != nil {
		return Lease{}, &SpecError{s.Raw, err}
	}
	var err error
	if l.Count, err = s.count.Eval(m); err != nil {
		return Lease{}, &SpecError{s.Raw, fmt.Errorf("COUNT %q: %w", s.count, err)}
	}
	if l.Total, err = s.total.Eval(m); err != nil {
		return Lease{}, &SpecError{s.Raw, fmt.Errorf("TOTAL %q: %w", s.total, err)}
	}
	if err := checkAmounts(l); err != nil {
		return Lease{}, &SpecError{s.Raw, err}
	}
	return l, nil
}

func checkResource(name string) error {
	if err := config.ValidateNodeName(name); err != nil {
		return fmt.Errorf("RESOURCE: %w", err)
	}
	if strings.HasPrefix(name, ReservedPrefix) {
		return fmt.Errorf("RESOURCE %q: names starting with %q are reserved", name, ReservedPrefix)
	}
	return nil
}

func checkAmounts(l Lease) error {
	switch {
	case l.Count < 1:
		return fmt.Errorf("COUNT is %d, must be at least 1", l.Count)
	case l.Total > MaxAmount:
		return fmt.Errorf("TOTAL is %d, must be at most %d", l.Total, int64(MaxAmount))
	case l.Count > l.Total:
		return fmt.Errorf("COUNT %d exceeds TOTAL %d", l.Count, l.Total)
	}
	return nil
}

// ExpandName replaces the macros CPU, FQDN and MEMMB in a resource name,
// wherever they occur, as the original did ("cpu-FQDN" becomes
// "cpu-h1.example.com"). Unknown values (zero, empty) are left unexpanded.
func ExpandName(name string, m Macros) string {
	var pairs []string
	if m.CPU > 0 {
		pairs = append(pairs, "CPU", fmt.Sprint(m.CPU))
	}
	if m.FQDN != "" {
		pairs = append(pairs, "FQDN", m.FQDN)
	}
	if m.MemMB > 0 {
		pairs = append(pairs, "MEMMB", fmt.Sprint(m.MemMB))
	}
	if len(pairs) == 0 {
		return name
	}
	return strings.NewReplacer(pairs...).Replace(name)
}

// Check validates specs as far as possible without knowing the host: the
// syntax of every spec, and the values of those that use no macro. A
// command-line checker calls it; Resolve does the rest on the host that
// runs the job. Errors are *SpecError.
func Check(specs []string) error {
	seen := map[string]string{}
	for _, raw := range specs {
		s, err := ParseSpec(raw)
		if err != nil {
			return err
		}
		if s.UsesMacros() {
			continue
		}
		l, err := s.Resolve(Macros{})
		if err != nil {
			return err
		}
		if prev, dup := seen[l.Resource]; dup {
			return duplicate(l, prev)
		}
		seen[l.Resource] = raw
	}
	return nil
}

// Resolve parses and resolves every spec with m. A resource leased twice
// (possibly only after macro expansion) is an error: its counts would
// otherwise be taken twice from one queue. Errors are *SpecError.
func Resolve(specs []string, m Macros) ([]Lease, error) {
	out := make([]Lease, 0, len(specs))
	seen := map[string]string{}
	for _, raw := range specs {
		s, err := ParseSpec(raw)
		if err != nil {
			return nil, err
		}
		l, err := s.Resolve(m)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[l.Resource]; dup {
			return nil, duplicate(l, prev)
		}
		seen[l.Resource] = raw
		out = append(out, l)
	}
	return out, nil
}

func duplicate(l Lease, prev string) error {
	return &SpecError{l.Spec, fmt.Errorf("resource %q is already leased by %q: give one --lease per resource", l.Resource, prev)}
}

// Order returns the leases in the order of listed, the prefix data's
// "resources" array after macro expansion with m. Every job takes its
// leases in this one global order, so two jobs never wait for each other
// in a cycle. A lease whose resource is not listed is an error wrapping
// ErrUnknownResource that names it and the listed ones.
func Order(leases []Lease, listed []string, m Macros) ([]Lease, error) {
	byName := make(map[string]Lease, len(leases))
	for _, l := range leases {
		byName[l.Resource] = l
	}
	out := make([]Lease, 0, len(leases))
	expanded := make([]string, 0, len(listed))
	for _, r := range listed {
		r = ExpandName(r, m)
		expanded = append(expanded, r)
		if l, ok := byName[r]; ok {
			out = append(out, l)
			delete(byName, r)
		}
	}
	for _, l := range leases {
		if _, unknown := byName[l.Resource]; unknown {
			return nil, fmt.Errorf("%w %q in lease %q: not in the \"resources\" list (%s)", ErrUnknownResource, l.Resource, l.Spec, listing(expanded))
		}
	}
	return out, nil
}

func listing(names []string) string {
	switch {
	case len(names) == 0:
		return "which is empty"
	case len(names) > 10:
		return "listed: " + strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return "listed: " + strings.Join(names, ", ")
}

// Env formats leases for the SWITCHMAN_LEASES variable: RESOURCE=COUNT:TOTAL
// items, comma-separated, in the order taken.
func Env(leases []Lease) string {
	parts := make([]string, len(leases))
	for i, l := range leases {
		parts[i] = l.String()
	}
	return strings.Join(parts, ",")
}
