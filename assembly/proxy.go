package assembly

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
)

// Proxy is a written authorisation for a holder to vote for a voter in one
// assembly (委托书), recorded before the proxy votes.
type Proxy struct {
	Voter      string `json:"voter"`
	HolderName string `json:"holder_name"`
	// HolderID is the keyed hash of the holder's identity number
	// (roll.OwnerID): the person the proxy cap counts. Proxies recorded
	// before it was kept have none, and count by their key. HolderTag is
	// the holder's pseudonym in this assembly's public log
	// (roll.Identifier.Tag), which by itself links to no owner and no other
	// assembly.
	HolderID  string `json:"holder_id,omitempty"`
	HolderTag string `json:"holder_tag,omitempty"`
	// LegacyHolderIDs are the holder ids of the earlier forms of the
	// holder's number (roll.Identifier.LegacyOwnerIDs), given with a new proxy: a
	// holder recorded under one of them in this assembly is this holder.
	LegacyHolderIDs []string  `json:"-"`
	HolderKeyID     string    `json:"holder_key_id"`
	HolderPublicKey []byte    `json:"holder_public_key"`
	DocumentSHA256  string    `json:"document_sha256"`
	Recorded        time.Time `json:"recorded"`
	RecordedBy      string    `json:"recorded_by"`
	// RecordedByLabel and RevokedByLabel are the labels of the sign-ins
	// (who holds them), for staff; proxies recorded before they were kept
	// have none.
	RecordedByLabel string `json:"recorded_by_label,omitempty"`
	// Revoked is when the authorisation was withdrawn (WithdrawProxy), by
	// whom and why.
	Revoked        time.Time `json:"revoked,omitzero"`
	RevokedBy      string    `json:"revoked_by,omitempty"`
	RevokeReason   string    `json:"revoke_reason,omitempty"`
	RevokedByLabel string    `json:"revoked_by_label,omitempty"`
}

// RecordProxy records a proxy authorisation for a voter of a published
// assembly. A voter has at most one proxy; a holder (by HolderID, whatever
// keys they use) acts for at most the assembly's proxy cap of voters, and a
// holder's key is theirs alone.
func (r *Registry) RecordProxy(ctx context.Context, assemblyID string, p Proxy, by roll.Actor) (Proxy, error) {
	p.HolderName = strings.TrimSpace(p.HolderName)
	switch {
	case p.HolderName == "" || len([]rune(p.HolderName)) > 64:
		return Proxy{}, l10n.ZH(fmt.Errorf("%w: holder_name: 1 to 64 characters", ErrInvalid), "请填写受托人姓名（1至64字）")
	case ballot.LongNumber(p.HolderName) >= 0:
		return Proxy{}, l10n.ZH(fmt.Errorf("%w: holder_name: %s (the identity number goes in holder_id_number)", ErrInvalid, ballot.LongNumberRule), "受托人姓名"+ballot.LongNumberRuleZH+"（证件号码请填在证件号码一栏）")
	case p.HolderID == "" || p.HolderTag == "":
		return Proxy{}, l10n.ZH(fmt.Errorf("%w: holder_id_number: the holder's identity document number, as the authorisation gives it, is required", ErrInvalid), "请填写委托书上受托人的证件号码")
	case len(p.HolderPublicKey) != ed25519.PublicKeySize:
		return Proxy{}, fmt.Errorf("%w: holder_public_key: an ed25519 public key is %d bytes", ErrInvalid, ed25519.PublicKeySize)
	case len(p.DocumentSHA256) != 64 || strings.ToLower(p.DocumentSHA256) != p.DocumentSHA256:
		return Proxy{}, l10n.ZH(fmt.Errorf("%w: document_sha256: 64 lowercase hex digits, the SHA-256 of the signed authorisation", ErrInvalid), "委托书文件的 SHA-256 须为64位小写十六进制")
	}
	if _, err := hex.DecodeString(p.DocumentSHA256); err != nil {
		return Proxy{}, fmt.Errorf("%w: document_sha256: not hex", ErrInvalid)
	}
	p.HolderKeyID = ballot.KeyID(p.HolderPublicKey)
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, now, err := r.beforeClose(tx, assemblyID, "proxies are recorded")
		if err != nil {
			return err
		}
		if !rec.Accepts(ballot.Proxy) {
			return fmt.Errorf("%w: %s does not accept PROXY ballots", ErrWrongState, assemblyID)
		}
		var vr voterRecord
		if ok, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(assemblyID, p.Voter), &vr); err != nil {
			return err
		} else if !ok {
			return l10n.ZH(fmt.Errorf("%w: voter: %q is not on the frozen roll", ErrInvalid, p.Voter), "委托人不在本次会议冻结的业主名册上")
		}
		// Where votes may not be changed, a voter who has voted has no
		// use for a proxy: its ballot would be refused. (A ballot of
		// theirs waiting for its check is no reason: the proxy's, like
		// the owner's own, is taken and counts.)
		if !rec.Settings.AllowRevote && vr.Counted != 0 {
			return l10n.ZH(fmt.Errorf("%w: voter %s has voted (ballot %d counts): a proxy could not vote for them", ErrAlreadyVoted, p.Voter, vr.Counted),
				fmt.Sprintf("该业主已投票（第%d号选票已计票），受托人不能再代为表决，无需登记委托", vr.Counted))
		}
		var old Proxy
		if ok, err := store.GetJSON(tx, store.Proxies, store.Key(assemblyID, p.Voter), &old); err != nil {
			return err
		} else if ok && old.Revoked.IsZero() {
			return l10n.ZH(fmt.Errorf("%w: voter %s already has a proxy on record (withdraw it first, WithdrawProxy)", ErrExists, p.Voter),
				"该业主已有一份有效的委托：如需更换受托人，请先撤销原委托")
		} else if ok {
			// The withdrawn one is kept aside: it still says whose its key
			// is. (Its time orders it; a counter keeps two of one instant.)
			key := store.Key(assemblyID, p.Voter, "withdrawn", strconv.FormatInt(old.Revoked.UnixNano(), 10))
			for n := 1; tx.Get(store.Proxies, key) != nil; n++ {
				key = store.Key(assemblyID, p.Voter, "withdrawn", strconv.FormatInt(old.Revoked.UnixNano(), 10)+"."+strconv.Itoa(n))
			}
			if err := store.PutJSON(tx, store.Proxies, key, old); err != nil {
				return err
			}
		}
		// A proxy holder signs with a key of their own for proxy ballots
		// only: an owner's or a signer's key would sign in two roles.
		h := keyHash(p.HolderPublicKey)
		if v := tx.Get(store.KeyIndex, h); (v != nil && !bytes.Equal(v, store.ProxyKey)) || tx.Get(store.Signers, []byte(p.HolderKeyID)) != nil {
			return l10n.ZH(fmt.Errorf("%w: holder_public_key is registered in another role; the proxy holder needs a key for proxy ballots only", ErrInvalid), "受托人的密钥已用于其他身份：受托人须使用仅用于代理投票的密钥")
		}
		if err := tx.Put(store.KeyIndex, h, store.ProxyKey); err != nil {
			return err
		}
		// The assembly's proxies, standing and withdrawn, read once.
		var all []Proxy
		err = tx.Scan(store.Proxies, store.Prefix(assemblyID), nil, func(_, v []byte) (bool, error) {
			var q Proxy
			if err := json.Unmarshal(v, &q); err != nil {
				return false, err
			}
			all = append(all, q)
			return true, nil
		})
		if err != nil {
			return err
		}
		// A holder recorded here before numbers were normalised as now
		// keeps the id and pseudonym they were recorded under.
		if i := slices.IndexFunc(all, func(q Proxy) bool {
			return q.HolderID != p.HolderID && slices.Contains(p.LegacyHolderIDs, q.HolderID)
		}); i >= 0 {
			p.HolderID, p.HolderTag = all[i].HolderID, all[i].HolderTag
		}
		// The voters the holder acts for: those of their standing
		// authorisations, and those of withdrawn ones for whom a ballot
		// the holder cast still counts (a withdrawal frees no place under
		// the cap while the holder's vote stays in the count).
		acts := map[string]bool{}
		for _, q := range all {
			// A key stays its holder's, a withdrawn authorisation's too
			// (the log says whose it is).
			switch {
			case q.HolderKeyID == p.HolderKeyID && q.HolderID != "" && q.HolderID != p.HolderID:
				return l10n.ZH(fmt.Errorf("%w: holder_public_key: another holder's key for proxy ballots; each holder signs with a key of their own", ErrInvalid), "该密钥属于另一位受托人：每位受托人须使用自己的密钥")
			case q.HolderID != p.HolderID && (q.HolderID != "" || q.HolderKeyID != p.HolderKeyID):
			case q.Revoked.IsZero():
				acts[q.Voter] = true
			default:
				counts, err := holderBallotCounts(tx, assemblyID, &q)
				if err != nil {
					return err
				}
				if counts {
					acts[q.Voter] = true
				}
			}
		}
		if limit := rec.Settings.ProxyCap; limit > 0 && !acts[p.Voter] && len(acts) >= limit {
			return l10n.ZH(fmt.Errorf("%w: %s already acts for %s (cap %d; a withdrawn authorisation counts while the holder's ballot under it counts)",
				ErrProxyCap, p.HolderName, voters(len(acts)), limit), fmt.Sprintf("该受托人已代理%d位业主，达到上限%d位（已撤销的委托，受托人据此所投的选票仍计票时，仍计入上限）", len(acts), limit))
		}
		p.Recorded, p.RecordedBy, p.RecordedByLabel = now, by.TokenID, by.Label
		if err := store.PutJSON(tx, store.Proxies, store.Key(assemblyID, p.Voter), p); err != nil {
			return err
		}
		return r.appendEntry(tx, assemblyID, now, audit.Entry{Kind: audit.KindProxy, Proxy: &audit.ProxyEntry{Voter: p.Voter,
			Holder: p.HolderTag, HolderKeyID: p.HolderKeyID, DocumentSHA256: p.DocumentSHA256, RecordedBy: by.TokenID}})
	})
	return p, err
}

// holderBallotCounts tells whether the ballot that counts for q's voter
// was cast by q's holder under q.
func holderBallotCounts(tx store.Tx, assemblyID string, q *Proxy) (bool, error) {
	var vr voterRecord
	if ok, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(assemblyID, q.Voter), &vr); err != nil || !ok || vr.Counted == 0 {
		return false, err
	}
	br, err := getBallot(tx, assemblyID, vr.Counted)
	return err == nil && br.Channel == ballot.Proxy && br.KeyID == q.HolderKeyID, err
}

// voters is "1 voter" or "n voters".
func voters(n int) string {
	if n == 1 {
		return "1 voter"
	}
	return fmt.Sprintf("%d voters", n)
}

// WithdrawProxy withdraws a voter's proxy authorisation, on the owner's
// word or because it was recorded in error: from then on the holder's key
// signs for the voter no more, the holder acts for one voter fewer under
// the cap (unless a ballot they cast for the voter counts), and another
// proxy may be recorded. A ballot the holder cast before stays as it is.
// The reason goes in the public log, so it holds no phone or identity
// number. Taken between publication and closing.
func (r *Registry) WithdrawProxy(ctx context.Context, assemblyID, voter, reason string, by roll.Actor) (Proxy, error) {
	reason = strings.TrimSpace(reason)
	if en, zh := ballot.ReasonProblem(reason, "撤销委托的理由"); en != "" {
		return Proxy{}, l10n.ZH(fmt.Errorf("%w: reason (why the authorisation is withdrawn; public): %s", ErrInvalid, en), zh)
	}
	var p Proxy
	err := r.st.Update(ctx, func(tx store.Tx) error {
		_, now, err := r.beforeClose(tx, assemblyID, "proxies are withdrawn")
		if err != nil {
			return err
		}
		ok, err := store.GetJSON(tx, store.Proxies, store.Key(assemblyID, voter), &p)
		switch {
		case err != nil:
			return err
		case !ok || !p.Revoked.IsZero():
			return fmt.Errorf("%w: voter %s has no proxy on record to withdraw", ErrProxyNotFound, voter)
		}
		p.Revoked, p.RevokedBy, p.RevokedByLabel, p.RevokeReason = now, by.TokenID, by.Label, reason
		if err := store.PutJSON(tx, store.Proxies, store.Key(assemblyID, voter), p); err != nil {
			return err
		}
		return r.appendEntry(tx, assemblyID, now, audit.Entry{Kind: audit.KindProxyWithdrawn, ProxyWithdrawn: &audit.ProxyWithdrawnEntry{
			Voter: voter, HolderKeyID: p.HolderKeyID, Reason: reason, By: by.TokenID}})
	})
	return p, err
}

// proxyOf finds the voter's proxy authorisation with the holder key keyID:
// the one on record, or a withdrawn one set aside when another was
// recorded, which still knows its key (its ballots are then refused as
// withdrawn, or answered again when sent again, not unknown).
func proxyOf(tx store.Tx, assemblyID, voter, keyID string) (p Proxy, ok bool, err error) {
	ok, err = store.GetJSON(tx, store.Proxies, store.Key(assemblyID, voter), &p)
	if err != nil || (ok && p.HolderKeyID == keyID) {
		return p, ok, err
	}
	ok = false
	err = tx.Scan(store.Proxies, store.Prefix(assemblyID, voter, "withdrawn"), nil, func(_, v []byte) (bool, error) {
		var q Proxy
		if err := json.Unmarshal(v, &q); err != nil {
			return false, err
		}
		if q.HolderKeyID == keyID {
			p, ok = q, true
		}
		return !ok, nil
	})
	return p, ok, err
}

// ProxyView is a proxy authorisation as staff see it in the list: with the
// voter's units on the assembly's frozen roll (none once the voter sold
// them during the vote), and whether the voter's counted ballot, if any,
// is the holder's.
type ProxyView struct {
	Proxy
	Units         []string
	Voted         bool
	VotedByHolder bool
}

// Proxies are the assembly's proxy authorisations, standing and withdrawn,
// in the order they were recorded.
func (r *Registry) Proxies(ctx context.Context, assemblyID string) ([]ProxyView, error) {
	var out []ProxyView
	err := r.st.View(ctx, func(tx store.Tx) error {
		if _, err := getRecord(tx, assemblyID); err != nil {
			return err
		}
		err := tx.Scan(store.Proxies, store.Prefix(assemblyID), nil, func(k, v []byte) (bool, error) {
			var p ProxyView
			if err := json.Unmarshal(v, &p.Proxy); err != nil {
				return false, fmt.Errorf("assembly: corrupt proxy authorisation %q: %w", k, err)
			}
			out = append(out, p)
			return true, nil
		})
		if err != nil {
			return err
		}
		for i := range out {
			p := &out[i]
			var vr voterRecord
			if _, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(assemblyID, p.Voter), &vr); err != nil {
				return err
			}
			p.Units, p.Voted = vr.Units, vr.Counted != 0
			if p.VotedByHolder, err = holderBallotCounts(tx, assemblyID, &p.Proxy); err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b ProxyView) int { return a.Recorded.Compare(b.Recorded) })
	return out, err
}
