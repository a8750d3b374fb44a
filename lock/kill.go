package lock

import (
	"encoding/json"
	"syscall"
	"time"
)

// KillDir holds kill requests: PREFIX/kill/LOCK, a persistent node naming
// the holder's fencing token, so that a request left behind can never stop
// a later holder of the same lock. The fleet store writes them; the guard
// of the holder watches its own.
const KillDir = "kill"

// KillRequest is a kill node's content: the guard acts on it only when
// Token is its lock's fencing token.
type KillRequest struct {
	Token  int64     `json:"fencing_token"`
	Signal int       `json:"signal"`
	Who    string    `json:"who"`
	When   time.Time `json:"when"`
}

// armKill sets a watch on the kill-request node and, when one exists for
// our token, hands its signal to OnKill. It is called when the guard
// starts (one exists-watch: the only request it adds to a run) and after
// each event or reconnect.
func (g *guard) armKill() {
	if g.o.KillPath == "" || g.o.OnKill == nil || g.o.Lock == nil || g.ctx.Err() != nil || g.killed {
		return
	}
	ok, _, ch, err := g.s.conn.ExistsW(g.o.KillPath)
	if err != nil {
		g.o.Logger.Debug().Err(err).Msg("watch kill request")
		return
	}
	g.killW = ch
	if !ok {
		return
	}
	b, _, err := g.s.conn.Get(g.o.KillPath)
	if err != nil {
		return // deleted meanwhile; the watch reports what comes next
	}
	var req KillRequest
	if json.Unmarshal(b, &req) != nil || req.Token != g.o.Lock.Token {
		return // stale: for an earlier holder
	}
	g.killed = true
	g.o.Logger.Info().Str("who", req.Who).Int("signal", req.Signal).Msg("kill requested")
	g.o.OnKill(syscall.Signal(req.Signal))
}
