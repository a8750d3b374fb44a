package lock

import (
	"strings"
	"testing"
)

func TestLocalSessions(t *testing.T) {
	t.Parallel()
	const (
		leaderLocal  = "zk_server_state\tleader\nzk_global_sessions\t0\nzk_local_sessions\t1\n"
		followerNone = "zk_server_state\tfollower\nzk_global_sessions\t4\nzk_local_sessions\t0\n"
		standalone   = "zk_server_state\tstandalone\nzk_global_sessions\t1\nzk_local_sessions\t0\n"
		conf38       = "clientPort=2181\ntickTime=2000\nserverId=1\n"
		old35        = "zk_server_state\tfollower\nzk_num_alive_connections\t3\n"
	)
	tests := []struct {
		name    string
		servers []ServerAnswers
		want    LocalSessionsState
		why     string
	}{
		{"one server counts a local session", []ServerAnswers{{"a:1", conf38, followerNone}, {"b:1", conf38, leaderLocal}, {"c:1", "", followerNone}},
			LocalSessionsOn, "b:1 counts 1 local sessions"},
		{"every server answered, none local", []ServerAnswers{{"a:1", conf38, followerNone}, {"b:1", conf38, followerNone}},
			LocalSessionsOff, "not even this session's"},
		{"standalone", []ServerAnswers{{"a:1", conf38, standalone}}, LocalSessionsOff, "quorum mode only"},
		{"conf says so", []ServerAnswers{{"a:1", "localSessionsEnabled=true\nlocalSessionsUpgradingEnabled=true\n", followerNone}},
			LocalSessionsOn, "a:1 has localSessionsEnabled=true"},
		{"conf says off", []ServerAnswers{{"a:1", "localSessionsEnabled=false\n", leaderLocal}}, LocalSessionsOff, "localSessionsEnabled=false"},
		{"local without upgrade", []ServerAnswers{{"a:1", "localSessionsEnabled=true\nlocalSessionsUpgradingEnabled=false\n", leaderLocal}},
			LocalSessionsNoUpgrade, "no session can take a lock"},
		{"no four-letter words", []ServerAnswers{{"a:1", "", ""}, {"b:1", "", ""}}, LocalSessionsUnknown, "4lw.commands.whitelist"},
		{"a server before 3.6", []ServerAnswers{{"a:1", "", old35}}, LocalSessionsUnknown, "no server allows mntr"},
		{"one server silent, others none", []ServerAnswers{{"a:1", "", followerNone}, {"b:1", "", ""}},
			LocalSessionsUnknown, "1 of 2 servers answered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := LocalSessions(tt.servers)
			if got != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("LocalSessions = %d, %q; want %d, containing %q", got, why, tt.want, tt.why)
			}
		})
	}
}
