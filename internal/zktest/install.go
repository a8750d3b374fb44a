package zktest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

const (
	javaDir      = "/usr/share/java"
	zooConfDir   = "/etc/zookeeper/conf"
	installShell = "scripts/install-zookeeper.sh"
	// installTimeout bounds the install script: apt-get update + install of
	// ZooKeeper and a JRE takes a few minutes on a cold machine, and the script
	// may first wait for another test binary's install (flock).
	installTimeout = 20 * time.Minute
)

var (
	installOnce sync.Once
	installErr  error
)

// EnsureInstalled makes sure java and the ZooKeeper jars are present, running
// scripts/install-zookeeper.sh (found relative to this source file, or to the
// module root reported by `go env GOMOD`) at most once per process when they
// are not. It returns an error wrapping ErrNotInstalled if they are still
// missing. Safe for concurrent use; later calls return the first result.
func EnsureInstalled() error {
	installOnce.Do(func() { installErr = ensureInstalled() })
	return installErr
}

// ensureInstalled does EnsureInstalled's work without the once.
func ensureInstalled() error {
	if missingParts() == "" {
		return nil
	}
	script, err := findInstallScript()
	if err != nil {
		return fmt.Errorf("%w: %s missing, and %w", ErrNotInstalled, missingParts(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", script).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s: %w: %s", ErrNotInstalled, script, err, strings.TrimSpace(lastLines(out, 20)))
	}
	if m := missingParts(); m != "" {
		return fmt.Errorf("%w: %s still missing after %s", ErrNotInstalled, m, script)
	}
	return nil
}

// missingParts names what is missing ("java", "/usr/share/java/zookeeper*.jar")
// or returns "" if nothing is.
func missingParts() string {
	var missing []string
	if _, err := javaPath(); err != nil {
		missing = append(missing, "java")
	}
	if jars, _ := filepath.Glob(filepath.Join(javaDir, "zookeeper*.jar")); len(jars) == 0 {
		missing = append(missing, filepath.Join(javaDir, "zookeeper*.jar"))
	}
	return strings.Join(missing, " and ")
}

// javaPath finds the java binary on PATH, falling back to Debian's
// alternatives link for environments with a minimal PATH.
func javaPath() (string, error) {
	if p, err := exec.LookPath("java"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/java"); err == nil {
		return "/usr/bin/java", nil
	}
	return "", fmt.Errorf("%w: java not found on PATH", ErrNotInstalled)
}

// findInstallScript locates scripts/install-zookeeper.sh: first relative to
// this source file (works for tests and `go run` in the repo), then relative
// to the module root of the working directory (works with -trimpath).
func findInstallScript() (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p := filepath.Join(filepath.Dir(file), "..", "..", installShell)
		if fileExists(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		if gomod := strings.TrimSpace(string(out)); gomod != "" && gomod != os.DevNull {
			p := filepath.Join(filepath.Dir(gomod), installShell)
			if fileExists(p) {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	return "", fmt.Errorf("%s not found (tried %v)", installShell, tried)
}

// classpath returns the JVM class path for the server.
//
// Debian's /usr/share/java holds six SLF4J bindings. With the plain
// "/usr/share/java/*" wildcard the JVM picked slf4j-nop (so zk.log stayed
// empty and a failed start had nothing to report), and putting slf4j-log4j12
// first makes log4j-over-slf4j's delegation-loop check abort the JVM. So,
// when the files exist, we use slf4j-simple (logs to stderr, i.e. zk.log)
// plus zookeeper.jar, whose manifest Class-Path names all its dependencies.
func classpath() string {
	simple := filepath.Join(javaDir, "slf4j-simple.jar")
	zk := filepath.Join(javaDir, "zookeeper.jar")
	parts := []string{filepath.Join(javaDir, "*")}
	if fileExists(simple) && fileExists(zk) {
		parts = []string{simple, zk}
	}
	if fileExists(zooConfDir) {
		parts = append(parts, zooConfDir)
	}
	return strings.Join(parts, ":")
}

// jvmArgs returns the java arguments (after the binary) to run cfgPath.
func jvmArgs(cfgPath string) []string {
	return []string{
		// Small, single-threaded-GC JVMs with the C1 compiler only: tests start
		// several servers on a shared 2-core machine, and startup time matters
		// more than peak throughput.
		"-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		// No hsperfdata files in /tmp for every test JVM.
		"-XX:-UsePerfData",
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
		"-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
		// ZooKeeper would otherwise register log4j MBeans and warn that log4j
		// has no appenders: we do not use log4j.
		"-Dzookeeper.jmx.log4j.disable=true",
		// The container manager deletes empty container nodes (the queue
		// directories of package lock) every minute by default; tests check
		// that they go, so look every second. A Java system property: zoo.cfg
		// cannot set it (its unknown keys get a "zookeeper." prefix).
		"-Dznode.container.checkIntervalMs=1000",
		"-cp", classpath(),
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath,
	}
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// lastLines returns at most n trailing lines of b.
func lastLines(b []byte, n int) string {
	b = bytes.TrimRight(b, "\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
