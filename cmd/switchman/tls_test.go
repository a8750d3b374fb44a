package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

func writeFile(t *testing.T, path string, parts ...[]byte) string {
	t.Helper()
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// nettyJars are the Netty parts ZooKeeper's Netty connection factory needs.
// Debian's zookeeper.jar manifest names only some of them (not codec and
// resolver), so the secure port fails with NoClassDefFoundError.
var nettyJars = []string{"buffer", "codec", "common", "handler", "resolver", "transport", "transport-native-unix-common"}

// nettyClassPath puts the Netty jars on the JVM's boot class path through
// JAVA_TOOL_OPTIONS, which the java launcher reads from the environment that
// zktest passes on. All of Netty goes there, not just the missing jars,
// since classes of the boot loader cannot see the application class path.
// TODO(lead): zktest's classpath() could name these jars instead.
func nettyClassPath(t *testing.T) {
	t.Helper()
	var jars []string
	for _, j := range nettyJars {
		p := "/usr/share/java/netty-" + j + ".jar"
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("netty jar for the secure port: %v", err)
		}
		jars = append(jars, p)
	}
	t.Setenv("JAVA_TOOL_OPTIONS", "-Xbootclasspath/a:"+strings.Join(jars, ":"))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tlsWorld is a ZooKeeper with a secure client port and the files a client
// needs to reach it.
type tlsWorld struct {
	e          *env
	secureAddr string
	ca, rogue  string // PEM files: the server's CA, and an unrelated one
	cert, key  string // the client's certificate and key, signed by ca
}

func startTLSZooKeeper(t *testing.T) *tlsWorld {
	t.Helper()
	dir := t.TempDir()
	ca, rogue := testenv.NewCA(t, "switchman test CA"), testenv.NewCA(t, "rogue CA")
	srvCert, srvKey := ca.Issue(t, "zk-server", 2)
	cliCert, cliKey := ca.Issue(t, "switchman-client", 3)
	w := &tlsWorld{
		ca:    writeFile(t, filepath.Join(dir, "ca.pem"), ca.PEM),
		rogue: writeFile(t, filepath.Join(dir, "rogue.pem"), rogue.PEM),
		cert:  writeFile(t, filepath.Join(dir, "client.pem"), cliCert),
		key:   writeFile(t, filepath.Join(dir, "client.key"), cliKey),
	}
	// ZooKeeper 3.8 reads PEM key stores: the server's key and certificate
	// in one file, the trusted CAs in another.
	keystore := writeFile(t, filepath.Join(dir, "server.pem"), srvKey, srvCert)
	port := freePort(t)
	nettyClassPath(t)
	srv := zktest.Start(t, zktest.Options{ExtraConfig: []string{
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"secureClientPort=" + strconv.Itoa(port),
		"secureClientPortAddress=127.0.0.1",
		"ssl.keyStore.location=" + keystore,
		"ssl.keyStore.type=PEM",
		"ssl.trustStore.location=" + w.ca,
		"ssl.trustStore.type=PEM",
		"ssl.clientAuth=need",
	}})
	w.secureAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// The prefix is made over the plain port, which the server also serves.
	w.e = newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	return w
}

// config writes a config reaching the secure port with the tls mapping
// given in flow style, and returns its path.
func (w *tlsWorld) config(name, tlsMap string) string {
	// One round: a refused handshake is what the cases check, not how
	// long a run retries it.
	c := zktest.SwitchmanConfig{Hosts: w.secureAddr, Prefix: w.e.prefix, SessionTimeout: "4s", ConnectTimeout: "3s", TerminationTimeout: "1",
		Extra: []string{"start_deadline: 3s"}}
	if tlsMap != "" {
		c.Extra = append(c.Extra, "tls: "+tlsMap)
	}
	return zktest.WriteConfig(w.e.t, filepath.Join(w.e.dir, name), c)
}

func TestTLS(t *testing.T) {
	w := startTLSZooKeeper(t)
	mark := filepath.Join(w.e.dir, "ran")
	client := ", cert: " + w.cert + ", key: " + w.key
	tests := []struct {
		name   string
		tls    string
		code   int
		stderr string
		ran    bool
	}{
		{"trusted server", "{ca: " + w.ca + client + "}", 0, "", true},
		{"trusted server by name", "{ca: " + w.ca + client + ", server_name: localhost}", 0, "", true},
		{"untrusted server certificate", "{ca: " + w.rogue + client + "}", exitcode.Unavailable, "certificate signed by unknown authority", false},
		{"wrong server name", "{ca: " + w.ca + client + ", server_name: zk.example.com}", exitcode.Unavailable, "zk.example.com", false},
		{"no client certificate", "{ca: " + w.ca + "}", exitcode.Unavailable, "unreachable", false},
		{"unreadable ca file", "{ca: " + w.ca + ".missing}", exitcode.Config, "ca.pem.missing", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(mark)
			cfg := w.config("tls"+strconv.Itoa(i)+".yaml", tt.tls)
			c := *w.e
			c.cfg = cfg
			r := c.run(append([]string{"-g", "g", "--hostname", "h1.example.com"}, sh("touch "+mark)...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || (tt.code != 0 && strings.Count(r.stderr, "\n") != 1) {
				t.Fatalf("exit %d stderr %q; want %d and one line containing %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if _, err := os.Stat(mark); (err == nil) != tt.ran {
				t.Fatalf("child ran: %v, want %v", err == nil, tt.ran)
			}
		})
	}
	t.Run("plain client on the secure port", func(t *testing.T) {
		c := *w.e
		c.cfg = w.config("plain.yaml", "")
		r := c.run(append([]string{"-g", "g", "--hostname", "h1.example.com"}, sh("touch "+mark)...)...)
		if r.code != exitcode.Unavailable {
			t.Fatalf("exit %d stderr %q; want %d", r.code, r.stderr, exitcode.Unavailable)
		}
	})
	t.Run("doctor over TLS", func(t *testing.T) {
		code, lines := w.e.doctor(w.config("doctor.yaml", "{ca: "+w.ca+client+"}"), "--hostname", "h1.example.com")
		if code != 0 || !hasLine(lines, "OK", "zookeeper: connected to "+w.secureAddr+" (TLS)") || !hasLine(lines, "OK", "clock:") {
			t.Errorf("exit %d; output:\n%s", code, strings.Join(lines, "\n"))
		}
	})
}
