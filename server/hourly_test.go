package server_test

import (
	"net/http"
	"testing"
	"time"

	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// TestProgressByHour counts ballots by the UTC hour they arrived in, over
// gRPC and JSON, across a restart.
func TestProgressByHour(t *testing.T) {
	v := newVote(t, nil)
	for i := range 3 {
		v.cast(t, i, channelOf(i), "AGREE")
	}
	v.e.clock.Set(duringVote.Add(time.Hour))
	for i := 3; i < 5; i++ {
		v.cast(t, i, channelOf(i), "OPPOSE")
	}
	v.e.clock.Set(duringVote.Add(3 * time.Hour))
	v.cast(t, 5, channelOf(5), "AGREE")
	v.e.restart()
	v.rs, v.as = ov.NewRollServiceClient(v.e.conn), ov.NewAssemblyServiceClient(v.e.conn)
	first := duringVote.UTC().Truncate(time.Hour)
	want := []struct {
		hour time.Time
		n    int64
	}{{first, 3}, {first.Add(time.Hour), 2}, {first.Add(3 * time.Hour), 1}}

	p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	got := p.GetByHour()
	if len(got) != len(want) {
		t.Fatalf("by_hour = %v, want %v", got, want)
	}
	for i, w := range want {
		if !got[i].GetHour().AsTime().Equal(w.hour) || got[i].GetBallots() != w.n {
			t.Errorf("by_hour[%d] = %s: %d, want %s: %d", i, got[i].GetHour().AsTime(), got[i].GetBallots(), w.hour, w.n)
		}
	}
	var j struct {
		ByHour []struct {
			Hour    time.Time `json:"hour"`
			Ballots string    `json:"ballots"`
		} `json:"by_hour"`
	}
	if code := v.e.do(http.MethodGet, "/v1/communities/"+v.community+"/assemblies/"+v.assembly+"/progress", v.e.admin, nil, &j); code != http.StatusOK {
		t.Fatalf("GET progress: HTTP %d", code)
	}
	if len(j.ByHour) != 3 || !j.ByHour[1].Hour.Equal(want[1].hour) || j.ByHour[1].Ballots != "2" {
		t.Errorf("JSON byHour = %+v", j.ByHour)
	}
}
