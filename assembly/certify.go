package assembly

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
)

// Certification errors.
var (
	ErrObjectionWindow = errors.New("assembly: the objection window is open")
	// ErrObjectionsClosed: an objection after the objection window.
	ErrObjectionsClosed  = errors.New("assembly: the objection window has closed")
	ErrOpenObjections    = errors.New("assembly: objections wait for a response")
	ErrNotMember         = errors.New("assembly: not a committee member of this assembly")
	ErrObjectionNotFound = errors.New("assembly: objection not found")
	ErrDuplicateSigner   = errors.New("assembly: this member has signed already")
	ErrImmutable         = errors.New("assembly: certified; the result and the log are final")
	// ErrBadCertSignature: a certification signature does not verify.
	ErrBadCertSignature = errors.New("assembly: certification signature does not verify")
	// ErrNotYourKey: a key its holder enrolled is used through another
	// sign-in (Signer.UsableBy).
	ErrNotYourKey = errors.New("assembly: the key was enrolled through another sign-in; only its holder signs with it")
	// ErrKeyNotRevoked: a committee key is replaced only once revoked.
	ErrKeyNotRevoked = errors.New("assembly: the committee key to replace is not revoked")
	// ErrBadVouch: a vouch for a new committee key does not verify.
	ErrBadVouch = errors.New("assembly: the signature vouching for the new key does not verify")
	// ErrNotHolderEnrolled: a new committee key not enrolled through a
	// sign-in issued to its member (Signer.HolderEnrolled).
	ErrNotHolderEnrolled = errors.New("assembly: the new committee key was not enrolled through a sign-in issued to its member")
)

// Objection is an objection (询异) to the preliminary result and its
// response.
type Objection struct {
	ID          string    `json:"id"`
	Text        string    `json:"text"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	Response    string    `json:"response,omitempty"`
	RespondedBy string    `json:"responded_by,omitempty"`
	RespondedAt time.Time `json:"responded_at,omitzero"`
}

// CertSignature is a committee member's signature of the certification
// statement.
type CertSignature struct {
	KeyID     string    `json:"key_id"`
	Signature []byte    `json:"signature"`
	At        time.Time `json:"at"`
}

// ObjectionDeadline is when the objection window of a closed assembly
// ends: at 24:00 China time of its last calendar day (audit.ObjectionDeadline),
// counted from its close (audit.ObjectionStart). Objections are taken
// before it, certification from it on.
func (a *Assembly) ObjectionDeadline() time.Time {
	return audit.ObjectionDeadline(audit.ObjectionStart(a.ClosedAt, a.Closes, a.Rules), a.ObjectionDays, a.Rules)
}

// Statement is what committee members sign to certify the result.
func (a *Assembly) Statement(resultDigest string) []byte {
	return audit.CertificationStatement(a.ID, a.RollDigest, resultDigest)
}

// mutable loads an assembly for a change after closing: refused once it is
// certified.
func mutable(tx store.Tx, id string) (*record, error) {
	rec, err := getRecord(tx, id)
	if err != nil {
		return nil, err
	}
	if rec.State == Certified {
		return nil, fmt.Errorf("%w: %s", ErrImmutable, id)
	}
	return rec, nil
}

// checkObjectionText trims an objection's or a response's text and checks
// it: 1 to 2000 characters, and no phone or identity number, since the
// text goes into the log that the committee and auditors read.
func checkObjectionText(text *string) error {
	*text = strings.TrimSpace(*text)
	switch {
	case *text == "" || utf8.RuneCountInString(*text) > 2000:
		return l10n.ZH(fmt.Errorf("%w: text: 1 to 2000 characters", ErrInvalid), "内容须为1至2000字")
	case ballot.LongNumber(*text) >= 0:
		return l10n.ZH(fmt.Errorf("%w: text: %s", ErrInvalid, ballot.LongNumberRule), "内容"+ballot.LongNumberRuleZH)
	}
	return nil
}

// Object records an objection to the preliminary result during the
// objection window.
func (r *Registry) Object(ctx context.Context, assemblyID, text, by string) (Objection, error) {
	if err := checkObjectionText(&text); err != nil {
		return Objection{}, err
	}
	var o Objection
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := mutable(tx, assemblyID)
		if err != nil {
			return err
		}
		now, err := r.logClock(tx, assemblyID, r.now().UTC())
		if err != nil {
			return err
		}
		if rec.State != Preliminary {
			return fmt.Errorf("%w: %s is %s; objections are taken on a preliminary result", ErrWrongState, assemblyID, rec.StateAt(now))
		}
		if !now.Before(rec.ObjectionDeadline()) {
			return fmt.Errorf("%w: it closed %s", ErrObjectionsClosed, audit.FormatChinaTime(rec.ObjectionDeadline()))
		}
		o = Objection{ID: fmt.Sprintf("obj-%d", len(rec.Objections)+1), Text: text, By: by, At: now}
		rec.Objections = append(rec.Objections, o)
		if err := r.appendEntry(tx, assemblyID, now, audit.Entry{Kind: audit.KindObjection, Objection: &audit.ObjectionEntry{ID: o.ID, Text: o.Text, By: by}}); err != nil {
			return err
		}
		return store.PutJSON(tx, store.Assemblies, []byte(assemblyID), rec)
	})
	if err == nil {
		r.notify(assemblyID)
	}
	return o, err
}

// Respond records the response to an objection.
func (r *Registry) Respond(ctx context.Context, assemblyID, objectionID, text, by string) (Objection, error) {
	if err := checkObjectionText(&text); err != nil {
		return Objection{}, err
	}
	var o Objection
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := mutable(tx, assemblyID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(rec.Objections, func(o Objection) bool { return o.ID == objectionID })
		if i < 0 {
			return fmt.Errorf("%w: %q of %s", ErrObjectionNotFound, objectionID, assemblyID)
		}
		if rec.Objections[i].Response != "" {
			return l10n.ZH(fmt.Errorf("%w: objection %s has a response already (%s)", ErrWrongState, objectionID, audit.FormatChinaTime(rec.Objections[i].RespondedAt)),
				"该异议已于 "+audit.FormatChinaTime(rec.Objections[i].RespondedAt)+" 答复，不能再次答复")
		}
		now, err := r.logClock(tx, assemblyID, r.now().UTC())
		if err != nil {
			return err
		}
		rec.Objections[i].Response, rec.Objections[i].RespondedBy, rec.Objections[i].RespondedAt = text, by, now
		o = rec.Objections[i]
		if err := r.appendEntry(tx, assemblyID, now, audit.Entry{Kind: audit.KindResponse, Response: &audit.ResponseEntry{ObjectionID: objectionID, Text: text, By: by}}); err != nil {
			return err
		}
		return store.PutJSON(tx, store.Assemblies, []byte(assemblyID), rec)
	})
	if err == nil {
		r.notify(assemblyID)
	}
	return o, err
}

// Certify adds a committee member's signature of the certification
// statement. It is taken once the objection window has closed and every
// objection has a response; the assembly becomes CERTIFIED when k valid
// signatures of distinct members are in. The server never holds the
// members' private keys: it only verifies. by is the token the signature
// comes through (Signer.UsableBy).
func (r *Registry) Certify(ctx context.Context, assemblyID, keyID string, sig []byte, by string) (Assembly, error) {
	var a Assembly
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := mutable(tx, assemblyID)
		if err != nil {
			return err
		}
		now, err := r.logClock(tx, assemblyID, r.now().UTC())
		if err != nil {
			return err
		}
		if rec.State != Preliminary {
			return fmt.Errorf("%w: %s is %s; only a preliminary result is certified", ErrWrongState, assemblyID, rec.StateAt(now))
		}
		if now.Before(rec.ObjectionDeadline()) {
			return l10n.ZH(fmt.Errorf("%w: until %s", ErrObjectionWindow, audit.FormatChinaTime(rec.ObjectionDeadline())),
				"询异期至 "+audit.FormatChinaTime(rec.ObjectionDeadline())+" 结束，此后方可签名认证")
		}
		for _, o := range rec.Objections {
			if o.Response == "" {
				return fmt.Errorf("%w: %s", ErrOpenObjections, o.ID)
			}
		}
		if !slices.Contains(rec.Committee.Members, keyID) {
			if i := slices.IndexFunc(rec.Committee.Replacements, func(x KeyReplacement) bool { return x.Replaces == keyID }); i >= 0 {
				by := rec.Committee.Replacements[i].KeyID
				return l10n.ZH(fmt.Errorf("%w: key %s was replaced by %s, which signs in its place", ErrNotMember, keyID, by),
					"该委员密钥已更换为 "+by+"：请用新密钥签名")
			}
			return fmt.Errorf("%w: key %s", ErrNotMember, keyID)
		}
		if slices.ContainsFunc(rec.Certificate, func(c CertSignature) bool { return c.KeyID == keyID }) {
			return fmt.Errorf("%w: key %s", ErrDuplicateSigner, keyID)
		}
		s, err := getSigner(tx, keyID)
		if err != nil {
			return err
		}
		if !s.Active() {
			return fmt.Errorf("%w: key %s was revoked", ErrKeyRevoked, keyID)
		}
		if !s.UsableBy(by) {
			return fmt.Errorf("%w: key %s of %s", ErrNotYourKey, keyID, s.ID)
		}
		if !ed25519.Verify(s.PublicKey, rec.Statement(rec.ResultDigest), sig) {
			return fmt.Errorf("%w: certification signature of %s", ErrBadCertSignature, keyID)
		}
		rec.Certificate = append(rec.Certificate, CertSignature{KeyID: keyID, Signature: slices.Clone(sig), At: now})
		// Only signatures of members whose keys are still active count
		// toward k: a key revoked after signing (lost, compromised) does not.
		valid := 0
		for _, c := range rec.Certificate {
			if cs, err := getSigner(tx, c.KeyID); err == nil && cs.Counts(time.Time{}) {
				valid++
			}
		}
		lw, err := r.logWriter(tx, assemblyID, now)
		if err != nil {
			return err
		}
		if _, err := lw.add(audit.Entry{Kind: audit.KindCertSignature, CertSignature: &audit.CertSignatureEntry{KeyID: keyID, Signature: sig}}); err != nil {
			return err
		}
		if valid >= rec.Committee.K {
			// The certification names the signatures that count; a key
			// revoked since it signed is logged as revoked first, so that
			// the log shows why its signature does not.
			var signers []string
			for _, c := range rec.Certificate {
				cs, err := getSigner(tx, c.KeyID)
				if err != nil {
					return err
				}
				if cs.Counts(time.Time{}) {
					signers = append(signers, c.KeyID)
					continue
				}
				if _, err := lw.add(audit.Entry{Kind: audit.KindKeyRevoked, KeyRevoked: &audit.KeyRevokedEntry{KeyID: c.KeyID}}); err != nil {
					return err
				}
				rec.Uncounted = append(rec.Uncounted, c.KeyID)
			}
			if _, err := lw.add(audit.Entry{Kind: audit.KindCertified, Certified: &audit.CertifiedEntry{ResultDigest: rec.ResultDigest, Signers: signers}}); err != nil {
				return err
			}
			rec.State, rec.CertifiedAt = Certified, now
		}
		if err := lw.finish(); err != nil {
			return err
		}
		a = rec.Assembly
		return store.PutJSON(tx, store.Assemblies, []byte(assemblyID), rec)
	})
	if err == nil {
		r.notify(assemblyID)
	}
	return a, err
}

// ReplaceCommitteeKey records that the member holding endorserKeyID vouches
// for newKeyID in the place of oldKeyID, a committee member's key that was
// lost and has been revoked: sig is their signature of
// audit.KeyReplacementStatement, and comes through by, their sign-in
// (Signer.UsableBy). Once audit.VouchesNeeded(k) members have vouched (k − 1
// of them, at least one), the new key takes the old one's place and the
// member can certify again; until then the vouches wait in
// Committee.Pending.
//
// Replacing a key takes as many people as certifying: the new key is the
// member's (the same signer id, enrolled through a sign-in the street
// office issued to that member, and approved), a street admin cannot make
// the vouchers' signatures, and with the member whose key it is, k − 1
// vouchers are k people. A signature made with the old
// key leaves the certificate. The replacement is logged
// (audit.KindCommitteeKey) with its vouches, where the offline verifier
// checks them. It is taken from publication until the result is certified.
func (r *Registry) ReplaceCommitteeKey(ctx context.Context, assemblyID, oldKeyID, newKeyID, endorserKeyID string, sig []byte, by string) (Assembly, error) {
	var a Assembly
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := mutable(tx, assemblyID)
		if err != nil {
			return err
		}
		now, err := r.logClock(tx, assemblyID, r.now().UTC())
		if err != nil {
			return err
		}
		if rec.Published.IsZero() || rec.State == Cancelled {
			return fmt.Errorf("%w: %s is %s; a committee key is replaced between publication and certification", ErrWrongState, assemblyID, rec.StateAt(now))
		}
		slot := slices.Index(rec.Committee.Members, oldKeyID)
		if i := slices.IndexFunc(rec.Committee.Replacements, func(x KeyReplacement) bool { return x.Replaces == oldKeyID }); slot < 0 && i >= 0 {
			return l10n.ZH(fmt.Errorf("%w: replaced_key_id: %s was replaced already, by %s", ErrInvalid, oldKeyID, rec.Committee.Replacements[i].KeyID), "该密钥已被更换为 "+rec.Committee.Replacements[i].KeyID)
		}
		if slot < 0 {
			return l10n.ZH(fmt.Errorf("%w: replaced_key_id: %s is not a key of this assembly's committee", ErrInvalid, oldKeyID), "要更换的密钥不是本次会议认证委员的密钥")
		}
		nk, err := r.checkReplacement(tx, rec, slot, newKeyID)
		if err != nil {
			return err
		}
		if endorserKeyID == oldKeyID || !slices.Contains(rec.Committee.Members, endorserKeyID) {
			return fmt.Errorf("%w: endorser_key_id: %s: other members of this assembly's committee vouch for the new key", ErrNotMember, endorserKeyID)
		}
		en, err := getSigner(tx, endorserKeyID)
		if err != nil {
			return err
		}
		switch {
		case !en.Active():
			return fmt.Errorf("%w: endorser key %s", ErrKeyRevoked, endorserKeyID)
		case !en.UsableBy(by):
			return fmt.Errorf("%w: key %s of %s", ErrNotYourKey, endorserKeyID, en.ID)
		}
		i := slices.IndexFunc(rec.Committee.Pending, func(x KeyReplacement) bool { return x.Replaces == oldKeyID && x.KeyID == newKeyID })
		if i < 0 {
			rec.Committee.Pending = append(rec.Committee.Pending, KeyReplacement{Replaces: oldKeyID, KeyID: newKeyID})
			i = len(rec.Committee.Pending) - 1
		}
		p := &rec.Committee.Pending[i]
		if slices.ContainsFunc(p.Vouches, func(v Vouch) bool { return v.Endorser == endorserKeyID }) {
			return fmt.Errorf("%w: %s has vouched for key %s already", ErrDuplicateSigner, en.ID, newKeyID)
		}
		if !ed25519.Verify(en.PublicKey, audit.KeyReplacementStatement(assemblyID, oldKeyID, newKeyID), sig) {
			return fmt.Errorf("%w: %s's signature of the key replacement statement for key %s", ErrBadVouch, en.ID, newKeyID)
		}
		p.Vouches = append(p.Vouches, Vouch{Endorser: endorserKeyID, Signature: slices.Clone(sig), By: by, At: now})
		// The vouches that count: of members' keys still in the committee
		// and active.
		var counting []Vouch
		for _, v := range p.Vouches {
			if s, err := getSigner(tx, v.Endorser); err == nil && s.Active() && slices.Contains(rec.Committee.Members, v.Endorser) {
				counting = append(counting, v)
			}
		}
		if len(counting) >= audit.VouchesNeeded(rec.Committee.K) {
			x := KeyReplacement{Replaces: oldKeyID, KeyID: newKeyID, Vouches: counting, At: now}
			rec.Committee.Members[slot] = newKeyID
			rec.Committee.Replacements = append(rec.Committee.Replacements, x)
			rec.Committee.Pending = slices.DeleteFunc(rec.Committee.Pending, func(y KeyReplacement) bool { return y.Replaces == oldKeyID || y.KeyID == newKeyID })
			rec.Certificate = slices.DeleteFunc(rec.Certificate, func(c CertSignature) bool { return c.KeyID == oldKeyID })
			ck := &audit.CommitteeKeyEntry{Replaces: oldKeyID, KeyID: newKeyID, PublicKey: nk.PublicKey}
			for _, v := range counting {
				ck.Vouches = append(ck.Vouches, audit.Vouch{KeyID: v.Endorser, Signature: v.Signature})
			}
			if err := r.appendEntry(tx, assemblyID, now, audit.Entry{Kind: audit.KindCommitteeKey, CommitteeKey: ck}); err != nil {
				return err
			}
		}
		a = rec.Assembly
		return store.PutJSON(tx, store.Assemblies, []byte(assemblyID), rec)
	})
	if err == nil {
		r.notify(assemblyID)
	}
	return a, err
}

// checkReplacement checks that newKeyID may take the place of the
// committee's key in slot: that one revoked, the new one the same member's
// active committee key, new to the assembly, and enrolled through a sign-in
// issued to that member.
func (r *Registry) checkReplacement(tx store.Tx, rec *record, slot int, newKeyID string) (Signer, error) {
	oldKeyID := rec.Committee.Members[slot]
	old, err := getSigner(tx, oldKeyID)
	if err != nil {
		return Signer{}, err
	}
	if old.Revoked.IsZero() {
		return Signer{}, fmt.Errorf("%w: key %s of %s: a street admin revokes a lost key before it is replaced", ErrKeyNotRevoked, oldKeyID, old.ID)
	}
	nk, err := getSigner(tx, newKeyID)
	if err != nil {
		return Signer{}, fmt.Errorf("key_id: %w", err)
	}
	switch {
	case nk.Kind != CommitteeSigner || !nk.InScope(rec.CommunityID):
		return Signer{}, l10n.ZH(fmt.Errorf("%w: key_id: %s is not a committee key of %s", ErrInvalid, newKeyID, rec.CommunityID), "新密钥不是本小区业委会委员的密钥")
	case !nk.Active():
		return Signer{}, l10n.ZH(fmt.Errorf("%w: key_id: %s is waiting for approval or revoked", ErrInvalid, newKeyID), "新密钥尚待街道审批，或已注销")
	case nk.ID != old.ID:
		return Signer{}, l10n.ZH(fmt.Errorf("%w: key_id: %s is a key of %s; the key it would replace is of %s", ErrInvalid, newKeyID, nk.ID, old.ID), "新密钥属于 "+nk.ID+"，而要更换的是 "+old.ID+" 的密钥")
	case slices.Contains(rec.Committee.Members, newKeyID) || slices.ContainsFunc(rec.Committee.Replacements, func(x KeyReplacement) bool { return x.Replaces == newKeyID }):
		return Signer{}, l10n.ZH(fmt.Errorf("%w: key_id: %s is, or was, a committee key of this assembly", ErrInvalid, newKeyID), "新密钥已是（或曾是）本次会议的认证委员密钥")
	}
	// The member's own: enrolled through a sign-in the street office
	// issued to them, not one a colleague holds (a key under their id,
	// enrolled through another's sign-in or registered by an admin).
	if !nk.HolderEnrolled {
		return Signer{}, fmt.Errorf("%w: key_id: %s: %s enrols the new key through a sign-in issued to %s (CreateToken with signer_id)", ErrNotHolderEnrolled, newKeyID, old.ID, old.ID)
	}
	// And enrolled after the loss, through another sign-in than the lost
	// key's: whoever has the lost phone may have its sign-in too.
	if nk.RegisteredBy == old.RegisteredBy || nk.Created.Before(old.Revoked) {
		return Signer{}, fmt.Errorf("%w: key_id: %s: the new key is enrolled after the lost one is revoked, through a new sign-in issued to %s (the lost key's may be in other hands)", ErrNotHolderEnrolled, newKeyID, old.ID)
	}
	return nk, nil
}
