package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/tally"
)

type assemblyService struct {
	ov.UnsafeAssemblyServiceServer
	reg    *assembly.Registry
	book   *roll.Book
	tokens *auth.Tokens
	log    *slog.Logger
}

func (s *assemblyService) err(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

// get loads an assembly and checks that it belongs to the request's
// community (the scope the caller's token was checked against).
func (s *assemblyService) get(ctx context.Context, communityID, id string) (assembly.Assembly, error) {
	a, err := s.reg.Get(ctx, id)
	// One answer whether the assembly is another community's or nobody's:
	// a caller learns nothing of other communities' assemblies.
	if errors.Is(err, assembly.ErrNotFound) || err == nil && a.CommunityID != communityID {
		return assembly.Assembly{}, fmt.Errorf("%w: assembly %q in community %q", assembly.ErrNotFound, id, communityID)
	}
	return a, err
}

func (s *assemblyService) CreateAssembly(ctx context.Context, req *ov.CreateAssemblyRequest) (*ov.Assembly, error) {
	pa := req.GetAssembly()
	if pa == nil {
		return nil, s.err(ctx, fmt.Errorf("%w: assembly is required", assembly.ErrInvalid))
	}
	a, err := assemblyFromProto(req.GetCommunityId(), pa)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	got, err := s.reg.Create(ctx, a, tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "assembly created", "assembly", got.ID, "community", got.CommunityID, "token", tokenFrom(ctx).ID)
	return s.assemblyProto(got), nil
}

func (s *assemblyService) GetAssembly(ctx context.Context, req *ov.GetAssemblyRequest) (*ov.Assembly, error) {
	a, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return s.assemblyProto(a), nil
}

func (s *assemblyService) ListAssemblies(ctx context.Context, req *ov.ListAssembliesRequest) (*ov.ListAssembliesResponse, error) {
	list, err := s.reg.List(ctx, req.GetCommunityId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListAssembliesResponse{}
	for _, a := range list {
		resp.Assemblies = append(resp.Assemblies, s.assemblyProto(a))
	}
	return resp, nil
}

func (s *assemblyService) PublishAssembly(ctx context.Context, req *ov.PublishAssemblyRequest) (*ov.Assembly, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	a, err := s.reg.Publish(ctx, req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "assembly published", "assembly", a.ID, "roll_digest", a.RollDigest, "short_notice", a.ShortNoticeReason != "", "token", tokenFrom(ctx).ID)
	return s.assemblyProto(a), nil
}

func (s *assemblyService) CancelAssembly(ctx context.Context, req *ov.CancelAssemblyRequest) (*ov.Assembly, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	a, err := s.reg.Cancel(ctx, req.GetAssemblyId(), req.GetReason(), tokenFrom(ctx).Role == auth.StreetAdmin)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "assembly cancelled", "assembly", a.ID, "token", tokenFrom(ctx).ID)
	return s.assemblyProto(a), nil
}

func (s *assemblyService) CloseAssembly(ctx context.Context, req *ov.CloseAssemblyRequest) (*ov.Assembly, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	a, err := s.reg.CloseEarly(ctx, req.GetAssemblyId(), req.GetReason(), tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "assembly closed early", "assembly", a.ID, "token", tokenFrom(ctx).ID)
	return s.assemblyProto(a), nil
}

func (s *assemblyService) SubmitBallot(ctx context.Context, req *ov.SubmitBallotRequest) (*ov.BallotReceipt, error) {
	out, err := s.reg.Submit(ctx, assembly.Submission{Community: req.GetCommunityId(), Assembly: req.GetAssemblyId(), Canonical: req.GetBallot(), Signature: req.GetSignature(), By: tokenFrom(ctx).ID})
	if err != nil {
		var ref *assembly.Refusal
		if errors.As(err, &ref) {
			s.log.InfoContext(ctx, "ballot refused", "assembly", req.GetAssemblyId(), "ballot", ref.BallotID, "seq", ref.Seq, "reason", ref.Reason.Error())
		}
		return nil, s.err(ctx, err)
	}
	return receiptProto(out), nil
}

func (s *assemblyService) ConfirmBallot(ctx context.Context, req *ov.ConfirmBallotRequest) (*ov.BallotReceipt, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	out, err := s.reg.Confirm(ctx, req.GetAssemblyId(), req.GetBallotId(), assembly.Confirmation{KeyID: req.GetKeyId(), Signature: req.GetSignature(), By: tokenFrom(ctx).ID})
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "ballot confirmed", "assembly", req.GetAssemblyId(), "ballot", req.GetBallotId(), "token", tokenFrom(ctx).ID)
	return receiptProto(out), nil
}

func (s *assemblyService) RejectBallot(ctx context.Context, req *ov.RejectBallotRequest) (*ov.BallotReceipt, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	if br, err := s.reg.Ballot(ctx, req.GetAssemblyId(), req.GetBallotId()); err == nil {
		if err := s.namesNoVoter(ctx, req.GetCommunityId(), br.Voter, req.GetReason(), "驳回理由"); err != nil {
			return nil, s.err(ctx, err)
		}
	}
	out, err := s.reg.Reject(ctx, req.GetAssemblyId(), req.GetBallotId(), req.GetReason(),
		assembly.Confirmation{KeyID: req.GetKeyId(), Signature: req.GetSignature(), By: tokenFrom(ctx).ID})
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "ballot rejected at the check", "assembly", req.GetAssemblyId(), "ballot", req.GetBallotId(), "token", tokenFrom(ctx).ID)
	return receiptProto(out), nil
}

// namesNoVoter refuses a reason that goes in the public log and names the
// voter it is about by their name on the roll (staff write 业主张三称…
// where they should write the unit): publications never name owners.
// Other names are not found; the console's hints ask for none.
func (s *assemblyService) namesNoVoter(ctx context.Context, communityID, voter, text, whatZH string) error {
	o, err := s.book.Owner(ctx, communityID, voter)
	if err != nil || !roll.NamesOwner(text, o.Name) {
		return nil
	}
	return l10n.ZH(fmt.Errorf("%w: reason: it names the owner; it is public: write the unit's number instead", assembly.ErrInvalid), whatZH+"将公开，请勿写业主姓名（可写房号）")
}

func (s *assemblyService) GetBallotReceipt(ctx context.Context, req *ov.GetBallotReceiptRequest) (*ov.BallotReceipt, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	out, err := s.reg.Receipt(ctx, req.GetAssemblyId(), req.GetBallotId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	// The log entry (a ballot's bytes: its choices, the staff who took it)
	// only to the roles that may read the log, to the sign-in that
	// submitted the ballot, and to the city platform for the channels it
	// relays (whatever token it used then): told a counted ballot's id by
	// an ALREADY_VOTED refusal, it does not read a phone ballot by it.
	tok := tokenFrom(ctx)
	relayed := tok.Role == auth.Platform && (out.Record.Channel == ballot.Platform || out.Record.Channel == ballot.Online)
	if !slices.Contains(overseers, tok.Role) && out.Record.SubmittedBy != tok.ID && !relayed {
		out.LogEntry = nil
	}
	return receiptProto(out), nil
}

func (s *assemblyService) ListBallots(ctx context.Context, req *ov.ListBallotsRequest) (*ov.ListBallotsResponse, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	n, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	var st assembly.BallotStatus
	if x := req.GetStatus(); x != ov.BallotStatus_BALLOT_STATUS_UNSPECIFIED {
		name, ok := strings.CutPrefix(x.String(), "BALLOT_STATUS_")
		if !ok || statusProto(assembly.BallotStatus(name)) != x {
			return nil, s.err(ctx, fmt.Errorf("%w: status: %v is not a ballot status", assembly.ErrInvalid, x))
		}
		st = assembly.BallotStatus(name)
	}
	list, err := s.reg.BallotsIn(ctx, req.GetAssemblyId(), st, req.GetAfterSeq(), n+1)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListBallotsResponse{}
	if len(list) > n {
		list = list[:n]
		resp.NextAfterSeq = list[n-1].Seq
	}
	for _, br := range list {
		resp.Ballots = append(resp.Ballots, &ov.BallotEntry{
			Seq: br.Seq, BallotId: br.ID, Voter: br.Voter, Channel: channelProto(br.Channel), Status: statusProto(br.Status),
			Reason: br.Reason, ReasonCode: reasonCode(&br), ReceiveTime: timestamppb.New(br.Received), Ballot: br.Canonical, Signature: br.Signature, SignerKeyId: br.KeyID,
		})
	}
	return resp, nil
}

func (s *assemblyService) RecordProxy(ctx context.Context, req *ov.RecordProxyRequest) (*ov.ProxyAuthorization, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	// The holder's identity number is kept only as its keyed hash, as an
	// owner's is.
	var holder, tag string
	var legacy []string
	if n := req.GetHolderIdNumber(); n != "" {
		number, err := roll.NormalizeIDNumber(n)
		if err != nil {
			return nil, s.err(ctx, l10n.ZH(fmt.Errorf("%w: holder_id_number: identity number %v", assembly.ErrInvalid, err), "受托人证件号码有误（"+l10n.Of(err)+"）"))
		}
		ident := s.book.Identifier()
		holder, tag, legacy = roll.OwnerID(ident.Hash(number)), ident.Tag(req.GetAssemblyId(), number), ident.LegacyOwnerIDs(n, number)
	}
	// The answer's holder_id is the holder's owner id where the holder is
	// an owner: it tells whether the number given is an owner's, so it is
	// recorded as an identity match first, like a refused import's.
	if err := s.book.RecordOwnersAmong(ctx, actorOf(tokenFrom(ctx)), req.GetCommunityId(), append([]string{holder}, legacy...), "RecordProxy"); err != nil {
		return nil, s.err(ctx, err)
	}
	p, err := s.reg.RecordProxy(ctx, req.GetAssemblyId(), assembly.Proxy{
		Voter: req.GetVoter(), HolderName: req.GetHolderName(), HolderID: holder, HolderTag: tag, LegacyHolderIDs: legacy, HolderPublicKey: req.GetHolderPublicKey(), DocumentSHA256: req.GetDocumentSha256(),
	}, actorOf(tokenFrom(ctx)))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "proxy recorded", "assembly", req.GetAssemblyId(), "voter", p.Voter, "holder", p.HolderTag, "holder_key", p.HolderKeyID, "token", tokenFrom(ctx).ID)
	return proxyProto(p), nil
}

func proxyProto(p assembly.Proxy) *ov.ProxyAuthorization {
	pp := &ov.ProxyAuthorization{Voter: p.Voter, HolderName: p.HolderName, HolderId: p.HolderID, HolderTag: p.HolderTag, HolderKeyId: p.HolderKeyID, DocumentSha256: p.DocumentSHA256,
		RecordTime: timestamppb.New(p.Recorded), WithdrawReason: p.RevokeReason, RecordedBy: cmp.Or(p.RecordedByLabel, p.RecordedBy)}
	if !p.Revoked.IsZero() {
		pp.WithdrawTime = timestamppb.New(p.Revoked)
		pp.WithdrawnBy = cmp.Or(p.RevokedByLabel, p.RevokedBy)
	}
	return pp
}

func (s *assemblyService) ListProxies(ctx context.Context, req *ov.ListProxiesRequest) (*ov.ListProxiesResponse, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	list, err := s.reg.Proxies(ctx, req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	voters := make([]string, len(list))
	for i, p := range list {
		voters[i] = p.Voter
	}
	// (ListProxies is for staff, who see owners' names.)
	names, err := s.book.OwnerNames(ctx, req.GetCommunityId(), voters)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	// Proxies recorded before the sign-ins' labels were kept name the
	// sign-ins by their labels all the same (labels do not change).
	var labels map[string]string
	label := func(by, kept string) (string, error) {
		if kept != "" || by == "" {
			return kept, nil
		}
		if labels == nil {
			ts, err := s.tokens.List(ctx)
			if err != nil {
				return "", err
			}
			labels = map[string]string{}
			for _, t := range ts {
				labels[t.ID] = t.Label
			}
		}
		return cmp.Or(labels[by], by), nil
	}
	resp := &ov.ListProxiesResponse{}
	for _, p := range list {
		pp := proxyProto(p.Proxy)
		if pp.RecordedBy, err = label(p.RecordedBy, p.RecordedByLabel); err != nil {
			return nil, s.err(ctx, err)
		}
		if !p.Revoked.IsZero() {
			if pp.WithdrawnBy, err = label(p.RevokedBy, p.RevokedByLabel); err != nil {
				return nil, s.err(ctx, err)
			}
		}
		// Whether a holder is an owner is told once, to the sign-in that
		// recorded the proxy, as an identity match (RecordProxy).
		pp.HolderId = ""
		pp.UnitIds, pp.Voted, pp.VotedByHolder, pp.VoterName = p.Units, p.Voted, p.VotedByHolder, names[p.Voter]
		resp.Proxies = append(resp.Proxies, pp)
	}
	return resp, nil
}

func (s *assemblyService) WithdrawProxy(ctx context.Context, req *ov.WithdrawProxyRequest) (*ov.ProxyAuthorization, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	if err := s.namesNoVoter(ctx, req.GetCommunityId(), req.GetVoter(), req.GetReason(), "撤销委托的理由"); err != nil {
		return nil, s.err(ctx, err)
	}
	p, err := s.reg.WithdrawProxy(ctx, req.GetAssemblyId(), req.GetVoter(), req.GetReason(), actorOf(tokenFrom(ctx)))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "proxy withdrawn", "assembly", req.GetAssemblyId(), "voter", p.Voter, "holder_key", p.HolderKeyID, "token", tokenFrom(ctx).ID)
	pp := proxyProto(p)
	pp.HolderId = "" // told at RecordProxy only, as an identity match
	return pp, nil
}

func (s *assemblyService) AmendRoll(ctx context.Context, req *ov.AmendRollRequest) (*ov.RollAmendment, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	owners := ownerInputs(req.GetNewOwners())
	// The sale itself, asked through this assembly: every assembly under
	// way that has the unit records it.
	sale, err := s.reg.RecordSale(ctx, s.book, req.GetCommunityId(), req.GetUnitId(), owners, req.GetDocumentSha256(), actorOf(tokenFrom(ctx)), req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, recordMatches(ctx, s.book, req.GetCommunityId(), "AmendRoll", err))
	}
	logSale(ctx, s.log, req.GetCommunityId(), req.GetUnitId(), sale)
	for _, am := range sale.Amendments {
		if am.AssemblyID == req.GetAssemblyId() {
			return amendmentProto(am), nil
		}
	}
	return nil, s.err(ctx, fmt.Errorf("the sale of %s was recorded without %s's amendment", req.GetUnitId(), req.GetAssemblyId()))
}

// logSale logs a unit's sale and what it did in each assembly under way.
func logSale(ctx context.Context, log *slog.Logger, communityID, unitID string, sale assembly.Sale) {
	for _, am := range sale.Amendments {
		log.InfoContext(ctx, "roll amended", "assembly", am.AssemblyID, "unit", am.UnitID, "effect", am.Effect, "token", tokenFrom(ctx).ID)
	}
	log.InfoContext(ctx, "unit transferred", "community", communityID, "unit", unitID, "token", tokenFrom(ctx).ID)
}

func amendmentProto(am assembly.Amendment) *ov.RollAmendment {
	return &ov.RollAmendment{UnitId: am.UnitID, PreviousVoter: am.PreviousVoter, NewVoter: am.NewVoter, Effect: string(am.Effect),
		DocumentSha256: am.DocumentSHA256, RecordTime: timestamppb.New(am.Recorded), AssemblyId: am.AssemblyID}
}

func (s *assemblyService) GetProgress(ctx context.Context, req *ov.GetProgressRequest) (*ov.Progress, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	p, err := s.reg.Progress(ctx, req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return progressProto(p), nil
}

// watchHeartbeat bounds how long WatchProgress waits without a change
// before sending the figures again (so proxies keep the stream open and
// the OPEN→CLOSED transition by the clock is seen).
const watchHeartbeat = 15 * time.Second

func (s *assemblyService) WatchProgress(req *ov.WatchProgressRequest, stream ov.AssemblyService_WatchProgressServer) error {
	ctx := stream.Context()
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return s.err(ctx, err)
	}
	for {
		changed := s.reg.Watch(req.GetAssemblyId())
		p, err := s.reg.Progress(ctx, req.GetAssemblyId())
		if err != nil {
			return s.err(ctx, err)
		}
		if err := stream.Send(progressProto(p)); err != nil {
			return err
		}
		switch p.State {
		case assembly.Preliminary, assembly.Certified, assembly.Cancelled:
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-time.After(watchHeartbeat):
		}
	}
}

func (s *assemblyService) ListNonVoters(ctx context.Context, req *ov.ListNonVotersRequest) (*ov.ListNonVotersResponse, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	list, err := s.reg.NonVoters(ctx, req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListNonVotersResponse{}
	for _, nv := range list {
		if b := req.GetBuilding(); b != "" && !slices.ContainsFunc(nv.Units, func(u string) bool { return roll.BuildingOf(u) == b }) {
			continue
		}
		resp.NonVoters = append(resp.NonVoters, &ov.NonVoter{Voter: nv.Voter, UnitIds: nv.Units, Figures: figures(nv.Figures), MaskedPhone: roll.MaskPhone(nv.Phone), WaitingBallotId: nv.Waiting})
	}
	return resp, nil
}

func (s *assemblyService) GetResult(ctx context.Context, req *ov.GetResultRequest) (*ov.AssemblyResult, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	a, res, digest, err := s.reg.Result(ctx, req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	out := &ov.AssemblyResult{AssemblyId: a.ID, State: stateProto(a.StateAt(s.reg.Now())), RuleSet: res.RuleSet.Name, Total: figures(res.Total),
		ResultDigest: digest, RollDigest: a.RollDigest, CloseTime: timestamppb.New(a.ClosedAt),
		CertificationStatement: string(a.Statement(digest)), ObjectionDeadline: timestamppb.New(a.ObjectionDeadline())}
	for _, mr := range res.Motions {
		m, _ := a.Motion(mr.Motion.ID)
		pm := &ov.MotionResult{MotionId: m.ID, Title: m.Title, Requirement: requirementText(mr.Requirement), Total: figures(mr.Total),
			Participating: figures(mr.Participating), QuorumMet: mr.QuorumMet, Decision: decisionProto(mr.Decision)}
		for _, t := range mr.Tallies {
			pm.Tallies = append(pm.Tallies, &ov.ChoiceTally{Choice: string(t.Choice), Figures: figures(t.Figures)})
		}
		if mr.WithoutDeemedConsent != nil {
			pm.WithoutDeemedConsent = decisionProto(*mr.WithoutDeemedConsent)
		}
		out.Motions = append(out.Motions, pm)
	}
	return out, nil
}

func decisionProto(d tally.Decision) *ov.Decision {
	return &ov.Decision{Outcome: string(d.Outcome), Winner: d.Winner, Elected: d.Elected, Tied: d.Tied, Base: figures(d.Base),
		ExplanationZh: d.Explanation.ZH, ExplanationEn: d.Explanation.EN}
}

func figures(f tally.Figures) *ov.Figures { return &ov.Figures{AreaM2: f.Area.String(), Head: f.Head} }

// requirementText says a majority in words, zh-CN first.
func requirementText(r tally.Requirement) string {
	of, ofEN := "参与表决", "of participating"
	if r.Of == tally.OfAll {
		of, ofEN = "全体业主", "of all owners'"
	}
	zh, en := "均达到"+r.Fraction()+"以上", "at least"
	if r.Strict {
		zh, en = "均超过"+r.Fraction(), "more than"
	}
	return fmt.Sprintf("%s专有部分面积和人数%s / %s %s area and headcount", of, zh, en, r.Fraction()+" "+ofEN)
}

func receiptProto(out assembly.Outcome) *ov.BallotReceipt {
	br := out.Record
	return &ov.BallotReceipt{BallotId: br.ID, Seq: br.Seq, Status: statusProto(br.Status), ReceiveTime: timestamppb.New(br.Received),
		Receipt: out.ReceiptCanonical, ReceiptSignature: out.ReceiptSignature, Replayed: out.Replayed, Reason: br.Reason, ReasonCode: reasonCode(&br),
		LogEntry: out.LogEntry, LogIndex: out.LogIndex, LogSize: out.LogSize, Checkpoint: string(out.Checkpoint), InclusionProof: out.InclusionProof}
}

func progressProto(p assembly.Progress) *ov.Progress {
	out := &ov.Progress{AssemblyId: p.Assembly.ID, State: stateProto(p.State), Counted: p.Counted, Pending: p.Pending,
		Refused: p.Refused, Superseded: p.Superseded, Version: p.Version}
	for _, c := range []ballot.Channel{ballot.Online, ballot.Platform, ballot.Phone, ballot.Visit, ballot.Paper, ballot.Proxy} {
		if n := p.ByChannel[string(c)]; n != 0 {
			out.ByChannel = append(out.ByChannel, &ov.ChannelCount{Channel: channelProto(c), Ballots: n})
		}
	}
	hours := make([]string, 0, len(p.Hourly))
	for h := range p.Hourly {
		hours = append(hours, h)
	}
	sort.Strings(hours)
	for _, h := range hours {
		t, err := time.Parse("2006-01-02T15", h)
		if err == nil {
			out.ByHour = append(out.ByHour, &ov.HourCount{Hour: timestamppb.New(t), Ballots: p.Hourly[h]})
		}
	}
	for _, mp := range p.Motions {
		pm := &ov.MotionProgress{MotionId: mp.Motion.ID, Title: mp.Motion.Title, Requirement: requirementText(mp.Requirement),
			Total: figures(mp.Total), Participating: figures(mp.Participating), Quorum: lineProto(mp.Quorum),
			Abstain: figures(mp.Abstain), Invalid: figures(mp.Invalid), NotVoted: figures(mp.NotVoted)}
		for _, c := range mp.Choices {
			pc := &ov.ChoiceProgress{Choice: c.Choice, Figures: figures(c.Figures)}
			if c.Line != nil {
				pc.Approval = lineProto(*c.Line)
			}
			pm.Choices = append(pm.Choices, pc)
		}
		out.Motions = append(out.Motions, pm)
	}
	return out
}

func committeeProto(c assembly.Committee) *ov.Committee {
	pc := &ov.Committee{MemberKeyIds: c.Members, K: int32(c.K)}
	proto := func(x assembly.KeyReplacement) *ov.CommitteeKeyReplacement {
		px := &ov.CommitteeKeyReplacement{ReplacedKeyId: x.Replaces, KeyId: x.KeyID, VouchesNeeded: int32(audit.VouchesNeeded(c.K))}
		if !x.At.IsZero() {
			px.ReplaceTime = timestamppb.New(x.At)
		}
		for _, v := range x.Vouches {
			px.EndorserKeyIds = append(px.EndorserKeyIds, v.Endorser)
		}
		return px
	}
	for _, x := range c.Replacements {
		pc.Replacements = append(pc.Replacements, proto(x))
	}
	for _, x := range c.Pending {
		pc.PendingReplacements = append(pc.PendingReplacements, proto(x))
	}
	return pc
}

func lineProto(l assembly.Line) *ov.Line {
	return &ov.Line{Required: figures(l.Required), Remaining: figures(l.Remaining), Reachable: l.Reachable}
}

func (s *assemblyService) assemblyProto(a assembly.Assembly) *ov.Assembly {
	pa := &ov.Assembly{
		AssemblyId: a.ID, CommunityId: a.CommunityID, Title: a.Title, OpensAt: timestamppb.New(a.Opens), ClosesAt: timestamppb.New(a.Closes),
		RuleSet: ruleSetProto(a.RuleSet), ShortNoticeReason: a.ShortNoticeReason,
		Settings: &ov.Settings{Abstention: ov.Abstention(int(a.Settings.Abstention) + 1), InvalidCountsTowardQuorum: a.Settings.InvalidCountsTowardQuorum,
			DeemedConsent: a.Settings.DeemedConsent, AllowRevote: a.Settings.AllowRevote, MakerChecker: a.Settings.MakerChecker, ProxyCap: int32(a.Settings.ProxyCap),
			RefuseShortNotice: a.Settings.RefuseShortNotice},
		Convener:  &ov.Convener{Kind: string(a.Convener.Kind), Name: a.Convener.Name},
		Committee: committeeProto(a.Committee),
		State:     stateProto(a.StateAt(s.reg.Now())), CreateTime: timestamppb.New(a.Created), RollDigest: a.RollDigest, ObjectionDays: int32(a.ObjectionDays),
		RollUnitCount: int32(a.RollUnits), CloseReason: a.CloseReason, CancelReason: a.CancelReason, ProcedureRules: int32(a.Rules),
	}
	for _, m := range a.Motions {
		pm := &ov.Motion{MotionId: m.ID, Title: m.Title, Matter: matterProto(m.Matter), Seats: int32(m.Seats)}
		for _, o := range m.Options {
			pm.Options = append(pm.Options, &ov.Option{OptionId: o.ID, Name: o.Name})
		}
		pa.Motions = append(pa.Motions, pm)
	}
	for _, c := range a.Channels {
		pa.Channels = append(pa.Channels, channelProto(c))
	}
	for _, am := range a.Amendments {
		am.AssemblyID = a.ID
		pa.Amendments = append(pa.Amendments, amendmentProto(am))
	}
	for _, o := range a.Objections {
		pa.Objections = append(pa.Objections, objectionProto(o))
	}
	for _, c := range a.Certificate {
		pa.Certificate = append(pa.Certificate, &ov.CertificationSignature{KeyId: c.KeyID, Signature: c.Signature, SignTime: timestamppb.New(c.At)})
	}
	if !a.CertifiedAt.IsZero() {
		pa.CertifyTime = timestamppb.New(a.CertifiedAt)
	}
	if !a.Published.IsZero() {
		pa.PublishTime = timestamppb.New(a.Published)
		pa.RollTotal = figures(a.RollTotal.Tally())
	}
	if !a.ClosedAt.IsZero() {
		pa.CloseTime = timestamppb.New(a.ClosedAt)
	}
	if !a.CancelledAt.IsZero() {
		pa.CancelTime = timestamppb.New(a.CancelledAt)
	}
	return pa
}

func ruleSetProto(rs tally.RuleSet) *ov.RuleSet {
	frac := func(t tally.Threshold) *ov.Fraction {
		return &ov.Fraction{Numerator: t.Num, Denominator: t.Den, Strict: t.Strict}
	}
	req := func(r tally.Requirement) *ov.Requirement {
		return &ov.Requirement{Fraction: frac(r.Threshold), OfAllOwners: r.Of == tally.OfAll}
	}
	p := &ov.RuleSet{Name: rs.Name, Quorum: frac(rs.Quorum), Ordinary: req(rs.Ordinary), Special: req(rs.Special)}
	for _, m := range rs.SpecialMatters {
		p.SpecialMatters = append(p.SpecialMatters, matterProto(m))
	}
	return p
}

func assemblyFromProto(communityID string, pa *ov.Assembly) (assembly.Assembly, error) {
	a := assembly.Assembly{
		ID: pa.GetAssemblyId(), CommunityID: communityID, Title: pa.GetTitle(), ObjectionDays: int(pa.GetObjectionDays()),
		Opens: pa.GetOpensAt().AsTime(), Closes: pa.GetClosesAt().AsTime(), ShortNoticeReason: pa.GetShortNoticeReason(),
		Convener:  assembly.Convener{Kind: assembly.ConvenerKind(pa.GetConvener().GetKind()), Name: strings.TrimSpace(pa.GetConvener().GetName())},
		Committee: assembly.Committee{Members: pa.GetCommittee().GetMemberKeyIds(), K: int(pa.GetCommittee().GetK())},
	}
	if pa.GetOpensAt() == nil || pa.GetClosesAt() == nil {
		return a, fmt.Errorf("%w: opens_at and closes_at are required", assembly.ErrInvalid)
	}
	if pa.GetCommunityId() != "" && pa.GetCommunityId() != communityID {
		return a, fmt.Errorf("%w: assembly.community_id %q differs from the path's %q", assembly.ErrInvalid, pa.GetCommunityId(), communityID)
	}
	for i, pm := range pa.GetMotions() {
		m := assembly.Motion{ID: pm.GetMotionId(), Title: strings.TrimSpace(pm.GetTitle()), Matter: tally.Matter(strings.TrimPrefix(pm.GetMatter().String(), "MATTER_")), Seats: int(pm.GetSeats())}
		if pm.GetMatter() == ov.Matter_MATTER_UNSPECIFIED {
			return a, fmt.Errorf("%w: motions[%d].matter is required (e.g. MATTER_SELECT_PROPERTY_FIRM)", assembly.ErrInvalid, i)
		}
		for _, o := range pm.GetOptions() {
			m.Options = append(m.Options, assembly.Option{ID: o.GetOptionId(), Name: strings.TrimSpace(o.GetName())})
		}
		a.Motions = append(a.Motions, m)
	}
	for i, c := range pa.GetChannels() {
		if c == ov.Channel_CHANNEL_UNSPECIFIED {
			return a, fmt.Errorf("%w: channels[%d] is unspecified", assembly.ErrInvalid, i)
		}
		a.Channels = append(a.Channels, ballot.Channel(strings.TrimPrefix(c.String(), "CHANNEL_")))
	}
	ps := pa.GetSettings()
	a.Settings = assembly.Settings{InvalidCountsTowardQuorum: ps.GetInvalidCountsTowardQuorum(), DeemedConsent: ps.GetDeemedConsent(),
		AllowRevote: ps.GetAllowRevote(), MakerChecker: ps.GetMakerChecker(), ProxyCap: int(ps.GetProxyCap()),
		RefuseShortNotice: ps.GetRefuseShortNotice()}
	if ab := ps.GetAbstention(); ab != ov.Abstention_ABSTENTION_UNSPECIFIED {
		if _, known := ov.Abstention_name[int32(ab)]; !known {
			return a, fmt.Errorf("%w: settings.abstention: %d: want one of %s", assembly.ErrInvalid, ab, enumNames(ov.Abstention_name))
		}
		a.Settings.Abstention = tally.Abstention(int(ab) - 1)
	}
	rs, err := ruleSetFromProto(pa.GetRuleSet())
	if err != nil {
		return a, err
	}
	a.RuleSet = rs
	return a, nil
}

func ruleSetFromProto(p *ov.RuleSet) (tally.RuleSet, error) {
	name := p.GetName()
	if name == "" {
		name = tally.CivilCode2021Name
	}
	if name != tally.CustomName {
		rs, err := tally.RuleSetByName(name)
		if err != nil {
			return rs, fmt.Errorf("%w: rule_set.name: %v", assembly.ErrInvalid, err)
		}
		return rs, nil
	}
	frac := func(f *ov.Fraction) tally.Threshold {
		return tally.Threshold{Num: f.GetNumerator(), Den: f.GetDenominator(), Strict: f.GetStrict()}
	}
	req := func(r *ov.Requirement) tally.Requirement {
		q := tally.Requirement{Threshold: frac(r.GetFraction())}
		if r.GetOfAllOwners() {
			q.Of = tally.OfAll
		}
		return q
	}
	rs := tally.RuleSet{Name: tally.CustomName, Quorum: frac(p.GetQuorum()), Ordinary: req(p.GetOrdinary()), Special: req(p.GetSpecial())}
	for _, m := range p.GetSpecialMatters() {
		rs.SpecialMatters = append(rs.SpecialMatters, tally.Matter(strings.TrimPrefix(m.String(), "MATTER_")))
	}
	if err := rs.Validate(); err != nil {
		return rs, fmt.Errorf("%w: rule_set: %v", assembly.ErrInvalid, err)
	}
	return rs, nil
}

func matterProto(m tally.Matter) ov.Matter { return ov.Matter(ov.Matter_value["MATTER_"+string(m)]) }

func channelProto(c ballot.Channel) ov.Channel {
	return ov.Channel(ov.Channel_value["CHANNEL_"+string(c)])
}

func stateProto(s assembly.State) ov.AssemblyState {
	return ov.AssemblyState(ov.AssemblyState_value["ASSEMBLY_STATE_"+string(s)])
}

// reasonCode is a refused ballot's reason as its refusal was answered
// (the ErrorInfo reason: ALREADY_VOTED, NOT_CONFIRMED…), "" for a ballot
// not refused.
func reasonCode(br *assembly.BallotRecord) string {
	if br.Status != assembly.Refused {
		return ""
	}
	if m, ok := mappingOf(assembly.RefusalOf(br)); ok {
		return m.reason
	}
	return "REFUSED"
}

func statusProto(s assembly.BallotStatus) ov.BallotStatus {
	return ov.BallotStatus(ov.BallotStatus_value["BALLOT_STATUS_"+string(s)])
}

type signerService struct {
	ov.UnsafeSignerServiceServer
	reg *assembly.Registry
	log *slog.Logger
}

func (s *signerService) err(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

func signerProto(sg assembly.Signer) *ov.Signer {
	p := &ov.Signer{KeyId: sg.KeyID, Kind: string(sg.Kind), SignerId: sg.ID, Name: sg.Name, CommunityId: sg.CommunityID,
		PublicKey: sg.PublicKey, CreateTime: timestamppb.New(sg.Created), RevokeReason: sg.RevokeReason}
	if !sg.Revoked.IsZero() {
		p.RevokeTime = timestamppb.New(sg.Revoked)
	}
	p.Pending, p.RegisteredBy, p.HolderEnrolled = sg.Pending, sg.RegisteredBy, sg.HolderEnrolled
	if !sg.Approved.IsZero() {
		p.ApproveTime = timestamppb.New(sg.Approved)
	}
	return p
}

func (s *signerService) RegisterSigner(ctx context.Context, req *ov.RegisterSignerRequest) (*ov.Signer, error) {
	p := req.GetSigner()
	sg, err := s.reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.SignerKind(p.GetKind()), ID: p.GetSignerId(), Name: p.GetName(),
		CommunityID: p.GetCommunityId(), PublicKey: p.GetPublicKey()}, tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "signer registered", "key", sg.KeyID, "kind", sg.Kind, "community", sg.CommunityID, "token", tokenFrom(ctx).ID)
	return signerProto(sg), nil
}

func (s *signerService) ListSigners(ctx context.Context, req *ov.ListSignersRequest) (*ov.ListSignersResponse, error) {
	tok := tokenFrom(ctx)
	want := req.GetCommunityId()
	list, err := s.reg.Signers(ctx, func(c string) bool {
		return (c == "" || tok.InScope(c)) && (want == "" || c == "" || c == want)
	})
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListSignersResponse{}
	for _, sg := range list {
		resp.Signers = append(resp.Signers, signerProto(sg))
	}
	return resp, nil
}

func (s *signerService) RevokeSigner(ctx context.Context, req *ov.RevokeSignerRequest) (*ov.Signer, error) {
	sg, err := s.reg.RevokeSigner(ctx, req.GetKeyId(), req.GetReason())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "signer revoked", "key", sg.KeyID, "token", tokenFrom(ctx).ID)
	return signerProto(sg), nil
}

func (s *signerService) GetServerKeys(ctx context.Context, _ *ov.GetServerKeysRequest) (*ov.ServerKeys, error) {
	pub := s.reg.ReceiptPublicKey()
	return &ov.ServerKeys{ReceiptPublicKey: pub, ReceiptKeyId: ballot.KeyID(pub), LogVerifierKey: s.reg.LogVerifierKey()}, nil
}

// enumNames lists an enum's values as JSON writes them, the unspecified
// one left out, e.g. "CALL_OUTCOME_NO_ANSWER, CALL_OUTCOME_REFUSED".
func enumNames(names map[int32]string) string {
	var out []string
	for n := int32(1); ; n++ {
		name, ok := names[n]
		if !ok {
			break
		}
		out = append(out, name)
	}
	return strings.Join(out, ", ")
}
