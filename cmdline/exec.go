package cmdline

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
)

// shellMeta are the characters that make Perl's exec of a single string
// run it through /bin/sh (doio.c, Perl_do_exec3).
const shellMeta = "$&*(){}[]'\";\\|?<>~`\n"

// Argv returns what runs for a command given as words. Several words
// run as they are. One word is treated as the original's Perl exec treats
// a one-element list: with shell syntax in it (metacharacters, a leading
// "VAR=", ". " or "exec ") it runs as /bin/sh -c WORD, so
// `switchman -- 'cd /app && ./run.sh'` works; otherwise it is split at
// white space and run directly, so `switchman -- 'echo a b'` runs echo.
func Argv(words []string) []string {
	if len(words) != 1 {
		return words
	}
	cmd := strings.TrimLeft(words[0], " \t\n\r\f\v")
	if needsShell(cmd) {
		return []string{"/bin/sh", "-c", words[0]}
	}
	if f := strings.Fields(cmd); len(f) > 0 {
		return f
	}
	return words
}

// needsShell is Perl's test for a one-string exec.
func needsShell(cmd string) bool {
	if strings.HasPrefix(cmd, ". ") || strings.HasPrefix(cmd, ".\t") ||
		(strings.HasPrefix(cmd, "exec") && len(cmd) > 4 && isSpace(cmd[4])) {
		return true
	}
	i := 0
	for i < len(cmd) && isWordChar(cmd[i]) {
		i++ // a leading NAME=value assignment
	}
	if i < len(cmd) && cmd[i] == '=' {
		return true
	}
	// A newline that ends the command is dropped, not shell syntax.
	return strings.ContainsAny(strings.TrimSuffix(cmd, "\n"), shellMeta)
}

func isSpace(c byte) bool { return strings.IndexByte(" \t\n\r\f\v", c) >= 0 }
func isWordChar(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// scriptProbe is how much of the command's file WithoutInterpreter reads:
// enough to see "#!", an ELF header, or a NUL byte of a binary format.
const scriptProbe = 256

// WithoutInterpreter returns argv to run a text script that has no "#!"
// line through /bin/sh, as the original did: Perl's exec runs a command
// with execvp(3), and glibc's execvp runs a file the kernel refuses with
// ENOEXEC as "/bin/sh FILE ARGS". Other commands are returned unchanged;
// so is a file that looks binary (an ELF, or a NUL in its first bytes),
// which the kernel runs itself or refuses as the original's would.
func WithoutInterpreter(argv []string) []string {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return argv
	}
	f, err := os.Open(path)
	if err != nil {
		return argv
	}
	defer f.Close()
	buf := make([]byte, scriptProbe)
	n, _ := f.Read(buf)
	head := buf[:n]
	if bytes.HasPrefix(head, []byte("#!")) || bytes.HasPrefix(head, []byte("\x7fELF")) || bytes.IndexByte(head, 0) >= 0 {
		return argv
	}
	return append([]string{"/bin/sh", path}, argv[1:]...)
}
