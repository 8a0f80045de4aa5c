package assembly_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/assembly/assemblytest"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/tally"
)

// TestIDsOfTheBallotFormat: every id the registry stores and a ballot or a
// store key later carries — an assembly's, a motion's, a candidate's, a
// signer's, a called voter's — is refused unless it is an id of the ballot
// format. A newline would break a ballot's canonical text, a NUL byte the
// store's key prefixes, a slash the API's paths.
func TestIDsOfTheBallotFormat(t *testing.T) {
	f := newFixture(t, 3, assembly.Settings{})
	ctx := context.Background()
	bad := []string{"", "a b", "a/b", "a\x00b", "a\nb", "甲", strings.Repeat("x", 65)}
	draft := func() assembly.Assembly {
		return assembly.Assembly{ID: "a2", CommunityID: "bench", Title: "表决",
			Motions: []assembly.Motion{{ID: "m1", Title: "选聘物业", Matter: tally.SelectPropertyFirm,
				Options: []assembly.Option{{ID: "firm-a", Name: "甲公司"}, {ID: "firm-b", Name: "乙公司"}}}},
			Opens: assemblytest.During.Add(20 * 24 * time.Hour), Closes: assemblytest.During.Add(25 * 24 * time.Hour),
			Channels: []ballot.Channel{ballot.Platform}, Committee: f.Assembly.Committee}
	}
	refused := func(what string, err error, field ...string) {
		t.Helper()
		if !errors.Is(err, assembly.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", what, err)
		}
		// Named by the API's field names, as a client sent them.
		if len(field) > 0 && !strings.Contains(fmt.Sprint(err), field[0]) {
			t.Errorf("%s: got %v, want it to name %s", what, err, field[0])
		}
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	for _, id := range bad {
		if id != "" { // an empty assembly id asks for a generated one
			a := draft()
			a.ID = id
			_, err := f.reg.Create(ctx, a, "t")
			refused("assembly id "+strconv.Quote(id), err)
		}
		a := draft()
		a.Motions[0].ID = id
		_, err := f.reg.Create(ctx, a, "t")
		refused("motion id "+strconv.Quote(id), err, "motions[0].motion_id")
		a = draft()
		a.Motions[0].Options[0].ID = id
		_, err = f.reg.Create(ctx, a, "t")
		refused("option id "+strconv.Quote(id), err, "motions[0].options[0].option_id")
		_, err = f.reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.StaffSigner, ID: id, Name: "工作人员", PublicKey: pub}, "t")
		refused("signer id "+strconv.Quote(id), err)
		_, err = f.reg.RecordCall(ctx, "a1", assembly.CallAttempt{Voter: id, Outcome: assembly.CallOutcomes[0]})
		refused("called voter "+strconv.Quote(id), err)
		if id != "" { // no voter lists every call
			_, err = f.reg.Calls(ctx, "a1", id)
			refused("calls of voter "+strconv.Quote(id), err)
		}
	}

	// The longest and every kind of character an id may have pass.
	good := strings.Repeat("x", 60) + "._:-"
	a := draft()
	a.ID, a.Motions[0].ID, a.Motions[0].Options[0].ID = good, good, good
	if _, err := f.reg.Create(ctx, a, "t"); err != nil {
		t.Errorf("a good id refused: %v", err)
	}
	if _, err := f.reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.StaffSigner, ID: good, Name: "工作人员", PublicKey: pub}, "t"); err != nil {
		t.Errorf("a good signer id refused: %v", err)
	}
}
