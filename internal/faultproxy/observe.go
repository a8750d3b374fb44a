package faultproxy

import (
	"encoding/binary"
	"strconv"
	"time"
)

// OpConnect stands for the session handshake in an Event (ZooKeeper gives
// it no opcode); OpPing and OpClose are a ping's and a session close's.
const (
	OpConnect int32 = -100
	OpPing    int32 = 11
	OpClose   int32 = -11
)

// opcode describes one of ZooKeeper's request opcodes (ZooDefs.OpCode).
type opcode struct {
	name  string
	path  bool // the request starts with a path
	write bool // it changes znodes
}

// Opcodes the observer knows, by number. Numbers for the ones the
// decoder needs by name (opDelete ...) follow.
var opcodes = map[int32]opcode{
	OpCreate: {"create", true, true}, opDelete: {"delete", true, true}, OpExists: {"exists", true, false},
	OpGetData: {"getData", true, false}, opSetData: {"setData", true, true}, 6: {"getACL", true, false},
	7: {"setACL", true, true}, opGetChildren: {"getChildren", true, false}, 9: {"sync", true, false},
	12: {"getChildren", true, false}, opCheck: {"check", true, false}, OpMulti: {"multi", false, true},
	OpCreate2: {"create", true, true}, 17: {"checkWatches", true, false}, 18: {"removeWatches", true, false},
	opCreateContainer: {"createContainer", true, true}, opCreateTTL: {"createTTL", true, true},
	opMultiRead: {"multiRead", false, false}, 106: {"addWatch", true, false},
}

const (
	opDelete, opSetData, opGetChildren, opCheck int32 = 2, 5, 8, 13
	opCreateContainer, opCreateTTL, opMultiRead int32 = 19, 21, 22
)

// OpName returns the name of ZooKeeper opcode op ("getData"), or "op N".
func OpName(op int32) string {
	if o, ok := opcodes[op]; ok {
		return o.name
	}
	return "op " + strconv.Itoa(int(op))
}

// IsWrite reports whether a request of opcode op changes znodes.
func IsWrite(op int32) bool { return opcodes[op].write }

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

// Observe makes the proxy call fn with every frame it forwards from now on,
// and with a reply DropNextReply drops, in each direction in the order
// forwarded; fn runs on the proxy's goroutines and must be safe for
// concurrent use. A nil fn stops it.
func (p *Proxy) Observe(fn func(Event)) {
	if fn == nil {
		p.observer.Store(nil)
		return
	}
	p.observer.Store(&fn)
}

// observe reports f to the observer, if any.
func (p *Proxy) observe(c *conn, dir direction, f frame, first bool) {
	fp := p.observer.Load()
	if fp == nil {
		return
	}
	fn := *fp
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
		if !opcodes[op].path {
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

// skipMultiBody skips what follows the path in a multi's operation of
// type op, returning the rest of the body.
func skipMultiBody(op int32, b []byte) ([]byte, bool) {
	switch op {
	case OpCreate, OpCreate2, opCreateContainer, opCreateTTL:
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
		if op == opCreateTTL {
			skip += 8
		}
		return cut(b, skip)
	case opDelete, opCheck:
		return cut(b, 4) // version
	case opSetData:
		b, ok := juteBuffer(b)
		if !ok {
			return nil, false
		}
		return cut(b, 4)
	case OpGetData, opGetChildren:
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
