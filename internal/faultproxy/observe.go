package faultproxy

import (
	"encoding/binary"
	"time"
)

// OpConnect stands for the session handshake in an Event (ZooKeeper gives
// it no opcode); OpPing for a ping, which has one.
const (
	OpConnect int32 = -100
	OpPing    int32 = 11
)

// opMultiRead is a read-only multi (ZooKeeper 3.6+), laid out as a multi.
const opMultiRead int32 = 22

// Event is one frame the proxy forwarded, as an observer sees it: a
// request with the operations it carries, or a reply.
type Event struct {
	At    time.Time
	Conn  int64 // the connection's number, from 1 in the order accepted
	Reply bool  // server to client
	Xid   int32 // 0 for the handshake; -1 a watch notification, -2 a ping reply
	// Op is the request's opcode: OpMulti for a multi, OpConnect for the
	// handshake; on a reply, the opcode of the request it answers (0 for
	// a watch notification).
	Op int32
	// Ops are a request's operations with their paths: one, or each of a
	// multi's. Empty for replies and for requests without a path (ping,
	// close, the handshake).
	Ops []PathOp
}

// PathOp is one operation of a request and the znode it names.
type PathOp struct {
	Op   int32
	Path string
}

// Observe makes the proxy call fn with every frame it forwards from now on
// (and with a reply DropNextReply drops),
// in each direction in the order forwarded; fn runs on the proxy's
// goroutines and must be safe for concurrent use. A nil fn stops it.
func (p *Proxy) Observe(fn func(Event)) {
	p.mu.Lock()
	p.observer = fn
	p.mu.Unlock()
}

// observe reports f to the observer, if any.
func (p *Proxy) observe(c *conn, dir direction, f frame, first bool) {
	p.mu.Lock()
	fn := p.observer
	p.mu.Unlock()
	if fn == nil {
		return
	}
	ev := Event{At: time.Now(), Conn: c.id, Reply: dir == toClient}
	switch {
	case first:
		ev.Op = OpConnect
	case dir == toServer:
		xid, op, ok := f.request()
		if !ok {
			return
		}
		ev.Xid, ev.Op, ev.Ops = xid, op, requestOps(op, f[12:])
	default:
		xid, ok := f.xid()
		if !ok {
			return
		}
		ev.Xid = xid
		if xid == xidPing {
			ev.Op = OpPing
		} else if op, known := c.opOf(xid); known {
			ev.Op = op
		}
	}
	fn(ev)
}

// requestOps decodes the operations of a request body (the bytes after
// xid and opcode): the path of a single-path request, or each operation
// of a multi with its path. It returns what it could decode of a body it
// cannot read to the end.
func requestOps(op int32, body []byte) []PathOp {
	if op != OpMulti && op != opMultiRead {
		if !hasPath(op) {
			return nil
		}
		path, _, ok := juteString(body)
		if !ok {
			return nil
		}
		return []PathOp{{Op: op, Path: path}}
	}
	var ops []PathOp
	for len(body) >= 9 {
		// MultiHeader: type int32, done bool, err int32.
		sub := int32(binary.BigEndian.Uint32(body))
		done := body[4] != 0
		body = body[9:]
		if done || sub == -1 {
			break
		}
		path, rest, ok := juteString(body)
		if !ok {
			break
		}
		ops = append(ops, PathOp{Op: sub, Path: path})
		if body, ok = skipMultiBody(sub, rest); !ok {
			break
		}
	}
	return ops
}

// hasPath reports whether a request of opcode op starts with a path.
func hasPath(op int32) bool {
	switch op {
	case OpCreate, OpDelete, OpExists, OpGetData, OpSetData, OpGetChildren, OpSync,
		OpGetChildren2, OpCheck, OpCreate2, OpCreateContainer, OpCreateTTL,
		6 /* getACL */, 7 /* setACL */, 17 /* checkWatches */, 18 /* removeWatches */, 106 /* addWatch */ :
		return true
	}
	return false
}

// skipMultiBody skips what follows the path in a multi's operation of
// type op, returning the rest of the body.
func skipMultiBody(op int32, b []byte) ([]byte, bool) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		b, ok := juteBuffer(b) // data
		if !ok || len(b) < 4 {
			return nil, false
		}
		n := int(int32(binary.BigEndian.Uint32(b))) // ACL entries: perms, scheme, id
		b = b[4:]
		for range n {
			if len(b) < 4 {
				return nil, false
			}
			if b, ok = juteBuffer(b[4:]); !ok {
				return nil, false
			}
			if b, ok = juteBuffer(b); !ok {
				return nil, false
			}
		}
		skip := 4 // flags
		if op == OpCreateTTL {
			skip += 8
		}
		return cut(b, skip)
	case OpDelete, OpCheck:
		return cut(b, 4) // version
	case OpSetData:
		b, ok := juteBuffer(b)
		if !ok {
			return nil, false
		}
		return cut(b, 4)
	case OpGetData, OpGetChildren:
		return b, true // read multis: the path alone
	}
	return nil, false
}

// juteString reads a length-prefixed string.
func juteString(b []byte) (string, []byte, bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	n := int32(binary.BigEndian.Uint32(b))
	if n < 0 || int(n) > len(b)-4 {
		return "", nil, false
	}
	return string(b[4 : 4+n]), b[4+n:], true
}

// juteBuffer skips a length-prefixed buffer (-1 for none).
func juteBuffer(b []byte) ([]byte, bool) {
	if len(b) < 4 {
		return nil, false
	}
	n := int32(binary.BigEndian.Uint32(b))
	if n < 0 {
		return b[4:], true
	}
	return cut(b[4:], int(n))
}

// cut drops the first n bytes of b.
func cut(b []byte, n int) ([]byte, bool) {
	if n > len(b) {
		return nil, false
	}
	return b[n:], true
}
