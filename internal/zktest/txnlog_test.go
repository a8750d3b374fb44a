package zktest

import "testing"

func TestParseTxns(t *testing.T) {
	out := "ZooKeeper Transactional Log File with dbid 0 txnlog format version 2\n" +
		"12/6/26, 6:40:47 PM UTC session 0x200003a7cbe0000 cxid 0x1 zxid 0x100000001 create /fleet,{},v{s{31,s{'world,'anyone}}},F,1\n" +
		"12/6/26, 6:40:49 PM UTC session 0x200003a7cbe0001 cxid 0x2 zxid 0x100000002 error -101\n" +
		"12/6/26, 6:40:55 PM UTC session 0x100003a7d34025d cxid 0x0 zxid 0x100000342 createSession 10000\n" +
		"[main] INFO something zxid without a number\n" +
		"EOF reached after 3 txns.\n"
	got := parseTxns(out)
	want := []Txn{
		{Zxid: 0x100000001, Type: "create", Rest: "/fleet,{},v{s{31,s{'world,'anyone}}},F,1"},
		{Zxid: 0x100000002, Type: "error", Rest: "-101"},
		{Zxid: 0x100000342, Type: "createSession", Rest: "10000"},
	}
	if len(got) != len(want) {
		t.Fatalf("parseTxns = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("txn %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
