package ballot_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/ownervote/ownervote/ballot"
)

func ExampleSign() {
	seed := sha256.Sum256([]byte("ownervote test key: owner-0001")) // test-only key
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)

	b := &ballot.Ballot{
		Assembly:   "asm-qd-2026-05-firm",
		RollDigest: "5afa519e1a3075bc1c26b605681bc081db527d30dca2e75d7b2ba5482652c377",
		Voter:      "owner-0001",
		Channel:    ballot.Online,
		Signer:     ballot.Online.Signer(),
		KeyID:      ballot.KeyID(pub),
		Nonce:      "1f42224e58408ffabb1ab3b52f34149f", // 16 random bytes in real use
		Time:       time.Date(2026, 5, 8, 1, 30, 0, 0, time.UTC),
		Choices:    []ballot.Choice{{Motion: "m1", Values: []string{ballot.Agree}}},
	}
	canonical, sig, err := ballot.Sign(b, priv)
	if err != nil {
		panic(err)
	}
	fmt.Print(string(canonical))
	fmt.Println("ballot id:", ballot.ID(canonical))

	if _, err := ballot.Verify(canonical, sig, pub); err != nil {
		panic(err)
	}
	// Output:
	// ownervote-ballot/1
	// assembly=asm-qd-2026-05-firm
	// roll=5afa519e1a3075bc1c26b605681bc081db527d30dca2e75d7b2ba5482652c377
	// voter=owner-0001
	// channel=ONLINE
	// signer=OWNER
	// key=2bf9079907f9745665f75190e61acf69
	// nonce=1f42224e58408ffabb1ab3b52f34149f
	// time=2026-05-08T01:30:00Z
	// choice.m1=AGREE
	// ballot id: 0dfa74e912fe5f55e63f283d12b4c2e2b9f7d54638d9e2dabfbafe29875fa6ce
}
