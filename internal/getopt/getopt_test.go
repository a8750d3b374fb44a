package getopt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// originalSpecs is the original switchman's option table:
// c|config=s g|group=s h|help lease=s lockname=s v|version lock!
var originalSpecs = []Spec{
	{Names: []string{"config", "c"}, Kind: String, Abbrev: true},
	{Names: []string{"group", "g"}, Kind: String, Abbrev: true},
	{Names: []string{"help", "h"}, Kind: Flag, Abbrev: true},
	{Names: []string{"lease"}, Kind: Pair, Abbrev: true},
	{Names: []string{"lockname"}, Kind: String, Abbrev: true},
	{Names: []string{"version", "v"}, Kind: Flag, Abbrev: true},
	{Names: []string{"lock"}, Kind: Negatable, Abbrev: true},
}

// lines are command lines whose reading the original decides; each is
// checked against Perl's Getopt::Long itself by TestMatchesGetoptLong.
var lines = [][]string{
	{"-c", "C", "echo", "yes", "-g", "other"},
	{"-group", "here"},
	{"-group", "here", "cmd"},
	{"--lockn", "x", "cmd"}, {"--conf", "x", "cmd"}, {"--gr", "x", "cmd"},
	{"--nolock", "cmd"}, {"--no-lock", "cmd"}, {"--lock", "cmd"}, {"--no", "cmd"}, {"--n", "cmd"},
	{"--nol", "cmd"}, {"--no-l", "cmd"}, {"-NOLOCK", "cmd"}, {"--lo", "x", "cmd"}, {"--l", "x", "cmd"},
	{"-l", "x", "cmd"}, {"-gx", "cmd"}, {"-g=x", "cmd"}, {"+g", "x", "cmd"}, {"date", "+%s"},
	{"find", "/tmp", "-mtime", "+3"}, {"-G", "x", "cmd"}, {"--GROUP", "x", "cmd"}, {"-g", "--", "cmd"},
	{"echo", "-g", "x", "--", "foo"}, {"cmd", "-"}, {"cmd", "+"}, {"--group=", "cmd"}, {"--group", "", "cmd"},
	{"--lease", "a=1:2", "--lease", "b", "cmd"}, {"--lock=1", "cmd"}, {"--", "-g", "x"}, {"---g", "x", "cmd"},
	{"--c=x", "cmd"}, {"--co=x", "cmd"}, {"-c", "x", "-c", "y", "cmd"}, {"--lease=a=1:2", "cmd"},
	{"--le", "a=1:2", "cmd"}, {"-lease", "a=1:2", "--lease", "a=3:4", "cmd"}, {"-h"}, {"--he", "cmd"},
	{"-v"}, {"--ver"}, {"--frob", "cmd"}, {"cmd", "--frob"}, {"-g"}, {"-", "x"}, {"--=x", "cmd"},
	{"-g", "x", "--lockname", "n", "--", "cmd", "-g", "y"}, {"cmd", "a", "--", "b", "--", "c"},
	{"-config=a=b", "cmd"}, {"--lockname", "-x", "cmd"}, {"cmd", "--no-lock", "-g", "x", "arg"},
	{"--lease", "=1:2", "cmd"}, {"-c", "", "cmd"}, {"--nolock=", "cmd"}, {"--no-lock", "--lock", "cmd"},
}

func TestMatchesGetoptLong(t *testing.T) {
	t.Parallel()
	perl := perlProbe(t)
	for _, args := range lines {
		want := perl(args)
		got := asOriginal(Parse(originalSpecs, args, Config{}))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %v\nwant %v (Getopt::Long)", args, got, want)
		}
	}
}

// TestRandomLinesMatchGetoptLong compares random lines built from the
// words that matter (option spellings, values, "--", commands) with
// Getopt::Long's reading.
func TestRandomLinesMatchGetoptLong(t *testing.T) {
	t.Parallel()
	perl := perlProbe(t)
	words := []string{"-g", "--group", "-group", "--gr", "-G", "+g", "-c", "--conf", "--lockname", "--lockn",
		"--lo", "--lock", "--nolock", "--no-lock", "--no", "--lease", "--le", "a=1:2", "b", "--", "-", "+",
		"x", "cmd", "-x", "--g=y", "--lease=c=3", "--nolock=1", "-h", "--vers", "", "-=", "--lockname=0"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		args := make([]string, rng.Intn(7))
		for j := range args {
			args[j] = words[rng.Intn(len(words))]
		}
		want := perl(args)
		got := asOriginal(Parse(originalSpecs, args, Config{}))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %v\nwant %v (Getopt::Long)", args, got, want)
		}
	}
}

// perlProbe starts testdata/original.pl and returns a function that asks
// it how the original reads one line. It skips without perl, unless CI is
// set (Debian always has perl; its absence is a broken machine).
func perlProbe(t *testing.T) func([]string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("perl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("perl is needed to compare with Getopt::Long: %v", err)
		}
		t.Skip("no perl: cannot compare with Getopt::Long")
	}
	cmd := exec.Command("perl", "testdata/original.pl")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	return func(args []string) map[string]any {
		b, _ := json.Marshal(args)
		if _, err := in.Write(append(b, '\n')); err != nil {
			t.Fatalf("perl: %v (%s)", err, stderr.String())
		}
		if !sc.Scan() {
			t.Fatalf("perl gave no answer for %q: %v (%s)", args, sc.Err(), stderr.String())
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m["ok"] == false {
			return map[string]any{"ok": false}
		}
		return m
	}
}

// asOriginal renders a parse as the probe prints the original's.
func asOriginal(r *Result, err error) map[string]any {
	if err != nil {
		if !errors.Is(err, ErrUsage) {
			panic(err)
		}
		return map[string]any{"ok": false}
	}
	m := map[string]any{"ok": true, "config": nil, "group": nil, "lockname": nil, "lock": 1.0}
	leases := map[string]any{}
	for _, o := range r.Opts {
		switch o.Name {
		case "lock":
			m["lock"] = 1.0
			if o.Negated {
				m["lock"] = 0.0
			}
		case "lease":
			k, v, _ := strings.Cut(o.Value, "=")
			leases[k] = v
		case "help", "version":
			m[o.Name] = 1.0
		default:
			m[o.Name] = o.Value
		}
	}
	m["leases"] = leases
	cmd := []any{}
	for _, a := range r.Args {
		cmd = append(cmd, a)
	}
	m["cmd"] = cmd
	return m
}

func TestNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []Rule
	}{
		{"plain with --", []string{"-g", "x", "--", "cmd"}, nil},
		{"no --", []string{"-g", "x", "cmd"}, []Rule{RuleNoDashDash}},
		{"option after command", []string{"cmd", "-g", "x"}, []Rule{RuleAfter, RuleNoDashDash}},
		{"abbreviation", []string{"--lockn", "x", "--", "cmd"}, []Rule{RuleAbbrev}},
		{"one dash", []string{"-group", "x", "--", "cmd"}, []Rule{RuleOneDash}},
		{"short with two dashes", []string{"--g", "x", "--", "cmd"}, []Rule{RuleShortLong}},
		{"plus", []string{"+g", "x", "--", "cmd"}, []Rule{RulePlus}},
		{"case", []string{"--Group", "x", "--", "cmd"}, []Rule{RuleCase}},
		{"negated", []string{"--nolock", "--", "cmd"}, []Rule{RuleNegated}},
		{"value like an option", []string{"-g", "--", "cmd"}, []Rule{RuleStringTaken, RuleNoDashDash}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Parse(originalSpecs, tt.args, Config{})
			if err != nil {
				t.Fatal(err)
			}
			var got []Rule
			for _, n := range r.Notes {
				got = append(got, n.Rule)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("notes %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPOSIX(t *testing.T) {
	t.Parallel()
	r, err := Parse(originalSpecs, []string{"-g", "x", "cmd", "-g", "y"}, Config{POSIX: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Opts) != 1 || r.Opts[0].Value != "x" || !reflect.DeepEqual(r.Args, []string{"cmd", "-g", "y"}) {
		t.Errorf("POSIX parse: %+v", r)
	}
	if _, err := Parse(originalSpecs, []string{"--gr", "x", "cmd"}, Config{POSIX: true}); err == nil {
		t.Error("POSIX parse accepted an abbreviation")
	}
}

func TestOptional(t *testing.T) {
	t.Parallel()
	specs := []Spec{{Names: []string{"wait"}, Kind: Optional, Accept: func(s string) (bool, error) {
		if s == "bad" {
			return false, errors.New("bad value")
		}
		return strings.HasSuffix(s, "s"), nil
	}}}
	tests := []struct {
		args    []string
		val     string
		hasVal  bool
		command []string
		err     bool
	}{
		{[]string{"--wait", "10s", "cmd"}, "10s", true, []string{"cmd"}, false},
		{[]string{"--wait", "cmd"}, "", false, []string{"cmd"}, false},
		{[]string{"--wait=5s", "cmd"}, "5s", true, []string{"cmd"}, false},
		{[]string{"--wait", "--", "10s"}, "", false, []string{"10s"}, false},
		{[]string{"--wait", "bad"}, "", false, nil, true},
	}
	for _, tt := range tests {
		r, err := Parse(specs, tt.args, Config{})
		if tt.err {
			if err == nil {
				t.Errorf("%q: no error", tt.args)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		o := r.Opts[0]
		if o.Value != tt.val || o.HasVal != tt.hasVal || !reflect.DeepEqual(r.Args, tt.command) {
			t.Errorf("%q: got %+v args %q", tt.args, o, r.Args)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range lines {
		f.Add(strings.Join(l, "\x00"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(originalSpecs, strings.Split(s, "\x00"), Config{})
		if err != nil {
			if !errors.Is(err, ErrUsage) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: not one ErrUsage line", err)
			}
			return
		}
		for _, o := range r.Opts {
			if o.Name == "" {
				t.Fatalf("option without a name: %+v", o)
			}
		}
	})
}

func TestLoose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		posix bool
		want  int
	}{
		{"none before --", []string{"-g", "x", "--", "cmd", "a"}, false, 0},
		{"no --", []string{"-g", "x", "cmd", "a"}, false, 2},
		{"permuted before --", []string{"cmd", "-g", "x", "--", "a", "b"}, false, 1},
		{"posix takes the rest", []string{"-g", "x", "cmd", "--", "a"}, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Parse(originalSpecs, tt.args, Config{POSIX: tt.posix})
			if err != nil {
				t.Fatal(err)
			}
			if r.Loose != tt.want {
				t.Errorf("Loose = %d, want %d (args %q)", r.Loose, tt.want, r.Args)
			}
		})
	}
}
