package faultproxy

import (
	"encoding/binary"
	"testing"
)

// multiBody encodes a multi of a create (with one ACL entry) and a check.
func multiBody() []byte {
	var b []byte
	i32 := func(v int32) { b = binary.BigEndian.AppendUint32(b, uint32(v)) }
	str := func(s string) { i32(int32(len(s))); b = append(b, s...) }
	header := func(op int32, done bool) {
		i32(op)
		if done {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		i32(-1)
	}
	header(OpCreate, false)
	str("/p/lock")
	str("data")
	i32(1) // one ACL entry
	i32(31)
	str("world")
	str("anyone")
	i32(1) // flags
	header(opCheck, false)
	str("/p")
	i32(3)
	header(-1, true)
	i32(-1)
	return b
}

func TestRequestOps(t *testing.T) {
	got := requestOps(OpMulti, multiBody())
	want := []PathOp{{OpCreate, "/p/lock"}, {opCheck, "/p"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("requestOps = %v, want %v", got, want)
	}
	single := binary.BigEndian.AppendUint32(nil, 2)
	single = append(append(single, "/a"...), 1) // path, watch
	if got := requestOps(OpGetData, single); len(got) != 1 || got[0] != (PathOp{OpGetData, "/a"}) {
		t.Fatalf("getData = %v", got)
	}
	if got := requestOps(OpPing, nil); got != nil {
		t.Fatalf("ping = %v", got)
	}
	// Every truncation decodes what it can and never reads past the end.
	full := multiBody()
	for n := range len(full) {
		if got := requestOps(OpMulti, full[:n]); len(got) > 2 {
			t.Fatalf("truncated at %d: %v", n, got)
		}
	}
}

// FuzzRequestOps checks that no request body makes the decoder panic.
func FuzzRequestOps(f *testing.F) {
	f.Add(int32(OpMulti), multiBody())
	f.Add(int32(OpGetData), []byte{0, 0, 0, 2, '/', 'a', 1})
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		for _, o := range requestOps(op, body) {
			if len(o.Path) > len(body) {
				t.Fatalf("path %q longer than the body", o.Path)
			}
		}
	})
}
