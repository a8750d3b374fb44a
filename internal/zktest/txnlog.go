package zktest

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Txn is one transaction of a server's transaction log.
type Txn struct {
	Zxid int64
	// Type is the operation: "createSession", "closeSession", "create",
	// "delete", "setData", "multi", "error" (an operation that failed on
	// its own), and so on.
	Type string
	// Rest is what the log says after the type, e.g. a multi's
	// operations ("error:..." when it failed).
	Rest string
}

// Transactions returns the transactions with a zxid in (after, upTo] from
// the server's transaction log files, read with ZooKeeper's own
// TxnLogToolkit (a JVM start per log file: a second or two each).
func (s *Server) Transactions(after, upTo int64) ([]Txn, error) {
	java, err := javaPath()
	if err != nil {
		return nil, err
	}
	logs, err := filepath.Glob(filepath.Join(s.Dir, "data", "version-2", "log.*"))
	if err != nil {
		return nil, err
	}
	var out []Txn
	for _, l := range logs {
		b, err := exec.Command(java, "-cp", classpath(), "org.apache.zookeeper.server.persistence.TxnLogToolkit", l).Output()
		if err != nil {
			return nil, fmt.Errorf("zktest: read transaction log %s: %w", l, err)
		}
		for _, t := range parseTxns(string(b)) {
			if t.Zxid > after && t.Zxid <= upTo {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// parseTxns reads TxnLogToolkit's lines ("DATE session 0x.. cxid 0x..
// zxid 0x.. TYPE REST"); other lines are skipped.
func parseTxns(text string) []Txn {
	var out []Txn
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024) // a create's line holds its data
	for sc.Scan() {
		_, after, ok := strings.Cut(sc.Text(), " zxid ")
		if !ok {
			continue
		}
		f := strings.SplitN(after, " ", 3)
		if len(f) < 2 {
			continue
		}
		z, err := strconv.ParseInt(f[0], 0, 64)
		if err != nil {
			continue
		}
		t := Txn{Zxid: z, Type: f[1]}
		if len(f) == 3 {
			t.Rest = f[2]
		}
		out = append(out, t)
	}
	return out
}
