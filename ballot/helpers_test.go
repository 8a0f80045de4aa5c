package ballot_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ownervote/ownervote/ballot"
)

// testKey returns the fixed test-only key called name: its seed is the
// SHA-256 of "ownervote test key: " + name. Never use these keys for
// anything but tests.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("ownervote test key: " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(priv ed25519.PrivateKey) ed25519.PublicKey {
	return priv.Public().(ed25519.PublicKey)
}

func keyIDOf(keyName string) string { return ballot.KeyID(pubOf(testKey(keyName))) }

// testHash returns the hex SHA-256 of "ownervote test " + what, a stand-in
// for a digest or a hash of a document.
func testHash(what string) string {
	sum := sha256.Sum256([]byte("ownervote test " + what))
	return hex.EncodeToString(sum[:])
}

// testNonce returns a fixed nonce: the first 16 bytes of testHash.
func testNonce(name string) string { return testHash("nonce: " + name)[:32] }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const testAssembly = "asm-qd-2026-05-firm"

// sample is one ballot of the test vectors with the name of its signing key.
type sample struct {
	name, key string
	ballot    *ballot.Ballot
}

// samples returns the ballots of the test vectors: one per channel and a
// committee election. Each call returns fresh values.
func samples() []sample {
	base := func(name, voter, key string, ch ballot.Channel, cast string, choices ...ballot.Choice) *ballot.Ballot {
		return &ballot.Ballot{
			Assembly:   testAssembly,
			RollDigest: testHash("roll"),
			Voter:      voter,
			Channel:    ch,
			Signer:     ch.Signer(),
			KeyID:      keyIDOf(key),
			Nonce:      testNonce(name),
			Time:       at(cast),
			Choices:    choices,
		}
	}
	m1 := func(v string) ballot.Choice { return ballot.Choice{Motion: "m1", Values: []string{v}} }

	online := base("online", "owner-0001", "owner-0001", ballot.Online, "2026-05-08T01:30:00Z", m1(ballot.Agree))

	platform := base("platform", "owner-0002", "platform", ballot.Platform, "2026-05-08T01:41:07Z", m1(ballot.Oppose))
	platform.PlatformVoteID = "QDWY-20260508-000123"

	phone := base("phone", "owner-0003", "staff-li", ballot.Phone, "2026-05-08T02:12:00Z", m1(ballot.Agree))
	phone.Attestation = &ballot.Attestation{
		StaffID:         "staff-li",
		At:              at("2026-05-08T02:10:00Z"),
		MaskedPhone:     "138****5678",
		Note:            "业主本人接听，同意选聘青岛天泰爱家物业服务有限公司",
		RecordingSHA256: testHash("recording"),
	}

	visit := base("visit", "owner-0004", "staff-li", ballot.Visit, "2026-05-09T07:05:00Z", m1(ballot.Abstain))
	visit.Attestation = &ballot.Attestation{
		StaffID: "staff-li",
		At:      at("2026-05-09T07:00:00Z"),
		Note:    "3号楼2单元 上门走访，业主当面表决并签字确认",
	}

	paper := base("paper", ballot.DeveloperVoter, "staff-li", ballot.Paper, "2026-05-10T03:00:00Z",
		ballot.Choice{Motion: "m1", Values: []string{ballot.Agree}},
		ballot.Choice{Motion: "m2", Values: []string{ballot.Oppose}},
		ballot.Choice{Motion: "m10", Values: []string{ballot.Invalid}},
	)
	paper.Attestation = &ballot.Attestation{
		StaffID:     "staff-li",
		At:          at("2026-05-10T02:30:00Z"),
		PaperSerial: "P-2026-0057",
		ScanSHA256:  testHash("scan"),
	}

	proxy := base("proxy", "owner-0006", "proxy-zhao", ballot.Proxy, "2026-05-11T12:00:00Z", m1(ballot.Agree))
	proxy.ProxyAuthorization = testHash("authorisation")

	committee := base("committee", "owner-0007", "owner-0007", ballot.Online, "2026-05-12T08:59:59Z",
		ballot.Choice{Motion: "committee", Values: []string{"cand-11", "cand-03", "cand-07"}},
	)

	return []sample{
		{"online", "owner-0001", online},
		{"platform", "platform", platform},
		{"phone", "staff-li", phone},
		{"visit", "staff-li", visit},
		{"paper", "staff-li", paper},
		{"proxy", "proxy-zhao", proxy},
		{"committee", "owner-0007", committee},
	}
}

// sampleNamed returns a fresh copy of the sample called name.
func sampleNamed(name string) sample {
	for _, s := range samples() {
		if s.name == name {
			return s
		}
	}
	panic("no sample " + name)
}

// sampleReceipt returns the receipt of the test vectors, for the online
// sample ballot.
func sampleReceipt() *ballot.Receipt {
	canonical, err := sampleNamed("online").ballot.Canonical()
	if err != nil {
		panic(err)
	}
	return &ballot.Receipt{
		BallotID:    ballot.ID(canonical),
		Assembly:    testAssembly,
		Seq:         1,
		Status:      ballot.StatusAccepted,
		Received:    at("2026-05-08T01:30:01.250Z"),
		ServerKeyID: keyIDOf("server"),
	}
}
