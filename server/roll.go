package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/tally"
)

// Page sizes of list calls.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// pageSize validates a requested page size.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("%w: page_size must not be negative", roll.ErrInvalid)
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return int(n), nil
}

// A page token is the last key of the previous page with a check that binds
// it to the list it came from (pageList: the method, the community, the
// filter), base64url-encoded: a token mangled on its way back, or sent with
// another list or filter, is refused instead of silently reading from
// somewhere else (or from nowhere, as if the list had ended). The check is
// no secret: a token gives no access of its own, every request being
// authorised as it comes.
const pageTokenVersion = 1

// pageList names a list and its filter for its page tokens.
func pageList(method string, params ...string) string {
	return method + "\x00" + strings.Join(params, "\x00")
}

func pageCheck(list, last string) []byte {
	h := sha256.Sum256([]byte("ownervote-page/1\n" + list + "\n" + last))
	return h[:8]
}

func encodePageToken(list, last string) string {
	if last == "" {
		return ""
	}
	b := append([]byte{pageTokenVersion}, pageCheck(list, last)...)
	return base64.RawURLEncoding.EncodeToString(append(b, last...))
}

// decodePageToken is the last key a page token carries, "" for none.
func decodePageToken(list, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 10 || b[0] != pageTokenVersion || !bytes.Equal(b[1:9], pageCheck(list, string(b[9:]))) {
		return "", l10n.ZH(fmt.Errorf("%w: page_token is not one this server returned for this list: send the next_page_token of the previous page with the same request (the same path and filters), or none to start again", roll.ErrInvalid),
			"翻页标记（page_token）无效：请原样使用上一页返回的 next_page_token，且请求（路径和筛选条件）保持不变；或不带该标记从头查询")
	}
	return string(b[9:]), nil
}

type rollService struct {
	ov.UnsafeRollServiceServer
	book *roll.Book
	reg  *assembly.Registry // the assemblies under way, which a transfer must not bypass
	log  *slog.Logger
	// files holds a place for each roster file being read: a workbook
	// takes up to a few hundred MiB for a moment, so at most
	// cap(files) at a time.
	files chan struct{}
}

func (s *rollService) err(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

func (s *rollService) CreateCommunity(ctx context.Context, req *ov.CreateCommunityRequest) (*ov.Community, error) {
	c := req.GetCommunity()
	if c == nil {
		return nil, s.err(ctx, fmt.Errorf("%w: community is required", roll.ErrInvalid))
	}
	got, err := s.book.CreateCommunity(ctx, roll.Community{
		ID: c.GetCommunityId(), Name: c.GetName(), StreetOffice: c.GetStreetOffice(),
		ResidentsCommittee: c.GetResidentsCommittee(), HasOwnersCommittee: c.GetHasOwnersCommittee(),
	})
	if err != nil {
		return nil, s.err(ctx, err)
	}
	tok := tokenFrom(ctx)
	s.log.InfoContext(ctx, "community created", "community", got.ID, "token", tok.ID)
	return communityProto(got), nil
}

func (s *rollService) GetCommunity(ctx context.Context, req *ov.GetCommunityRequest) (*ov.Community, error) {
	c, err := s.book.Community(ctx, req.GetCommunityId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return communityProto(c), nil
}

func (s *rollService) ListCommunities(ctx context.Context, req *ov.ListCommunitiesRequest) (*ov.ListCommunitiesResponse, error) {
	n, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	list := pageList("ListCommunities")
	after, err := decodePageToken(list, req.GetPageToken())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	tok := tokenFrom(ctx)
	cs, next, err := s.book.Communities(ctx, tok.InScope, after, n)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListCommunitiesResponse{NextPageToken: encodePageToken(list, next)}
	for _, c := range cs {
		resp.Communities = append(resp.Communities, communityProto(c))
	}
	return resp, nil
}

func (s *rollService) ImportUnits(ctx context.Context, req *ov.ImportUnitsRequest) (*ov.ImportUnitsResponse, error) {
	inputs := make([]roll.UnitInput, len(req.GetUnits()))
	for i, u := range req.GetUnits() {
		kind, err := kindFromProto(u.GetKind())
		if err != nil {
			return nil, s.err(ctx, fmt.Errorf("%w: units[%d].kind: %v", roll.ErrInvalid, i, err))
		}
		inputs[i] = roll.UnitInput{ID: u.GetUnitId(), Registered: u.GetRegisteredAreaM2(), Surveyed: u.GetSurveyedAreaM2(), Contract: u.GetContractAreaM2(), Kind: kind,
			Owners: ownerInputs(u.GetOwners())}
	}
	res, err := s.book.Import(ctx, req.GetCommunityId(), inputs)
	if err != nil {
		return nil, s.err(ctx, recordMatches(ctx, s.book, req.GetCommunityId(), "ImportUnits", err))
	}
	s.log.InfoContext(ctx, "units imported", "community", req.GetCommunityId(), "units", res.Units, "new_owners", res.NewOwners, "token", tokenFrom(ctx).ID)
	return &ov.ImportUnitsResponse{ImportedUnits: int32(res.Units), NewOwners: int32(res.NewOwners), Figures: figuresProto(res.Figures)}, nil
}

func (s *rollService) ImportRosterFile(ctx context.Context, req *ov.ImportRosterFileRequest) (*ov.ImportRosterFileResponse, error) {
	if n := utf8.RuneCountInString(req.GetFileName()); n == 0 || n > 200 {
		// (It names every problem's place.)
		return nil, s.err(ctx, l10n.ZH(fmt.Errorf("%w: file_name: 1 to 200 characters, ending .xlsx or .csv", roll.ErrInvalid), "文件名须为1至200个字符，以 .xlsx 或 .csv 结尾"))
	}
	if ballot.PersonalNumber(req.GetFileName()) >= 0 {
		// (Nor would every answer repeat it.)
		return nil, s.err(ctx, l10n.ZH(fmt.Errorf("%w: file_name: it holds a phone or identity number; rename the file", roll.ErrInvalid), "文件名含电话或身份证号码，请给文件改名后再上传"))
	}
	select {
	case s.files <- struct{}{}:
		defer func() { <-s.files }()
	case <-ctx.Done():
		return nil, s.err(ctx, ctx.Err())
	}
	ro, err := roll.CheckFile(req.GetFileName(), bytes.NewReader(req.GetContent()))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	importer := s.book.Import
	if req.GetCheckOnly() {
		importer = s.book.CheckImport
	}
	res, err := importer(ctx, req.GetCommunityId(), ro.Units)
	if err != nil {
		// The problems against the roll, as rows of the file.
		return nil, s.err(ctx, ro.FileErrorFor(recordMatches(ctx, s.book, req.GetCommunityId(), "ImportRosterFile", err)))
	}
	if !req.GetCheckOnly() {
		s.log.InfoContext(ctx, "roster imported", "community", req.GetCommunityId(), "units", res.Units, "new_owners", res.NewOwners, "token", tokenFrom(ctx).ID)
	}
	return &ov.ImportRosterFileResponse{Units: int32(len(ro.Units)), Imported: !req.GetCheckOnly(), NewOwners: int32(res.NewOwners), Figures: figuresProto(res.Figures)}, nil
}

func (s *rollService) ListUnits(ctx context.Context, req *ov.ListUnitsRequest) (*ov.ListUnitsResponse, error) {
	n, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	if len([]rune(req.GetQuery())) > 50 {
		return nil, s.err(ctx, l10n.ZH(fmt.Errorf("%w: query: at most 50 characters", roll.ErrInvalid), "查询内容不超过50字"))
	}
	list := pageList("ListUnits", req.GetCommunityId(), req.GetBuilding(), req.GetQuery())
	after, err := decodePageToken(list, req.GetPageToken())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	// Names are shown, and searched, for staff only: a match would tell
	// another role a name.
	showNames := tokenFrom(ctx).Role.Staff()
	p, err := s.book.UnitPage(ctx, req.GetCommunityId(), roll.UnitFilter{Building: req.GetBuilding(), Query: req.GetQuery(), Names: showNames}, after, n)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListUnitsResponse{NextPageToken: encodePageToken(list, p.Next), TotalSize: int32(p.Total)}
	for _, u := range p.Units {
		pu := &ov.Unit{
			UnitId: u.ID, Building: u.Building, RegisteredAreaM2: areaString(u.Registered), SurveyedAreaM2: areaString(u.Surveyed),
			ContractAreaM2: areaString(u.Contract), EffectiveAreaM2: u.Area().String(), Kind: kindProto(u.Kind), VoterOwnerId: u.Voter(),
		}
		for _, uo := range u.Owners {
			o := p.Owners[uo.OwnerID]
			po := &ov.UnitOwner{OwnerId: uo.OwnerID, MaskedPhone: roll.MaskPhone(o.Phone), Representative: uo.Representative}
			if showNames {
				po.Name = o.Name
			}
			pu.Owners = append(pu.Owners, po)
		}
		resp.Units = append(resp.Units, pu)
	}
	return resp, nil
}

func (s *rollService) CorrectUnitAreas(ctx context.Context, req *ov.CorrectUnitAreasRequest) (*ov.CorrectUnitAreasResponse, error) {
	tok := tokenFrom(ctx)
	in := roll.AreasInput{Registered: req.GetRegisteredAreaM2(), Surveyed: req.GetSurveyedAreaM2(), Contract: req.GetContractAreaM2()}
	e, f, err := s.book.CorrectAreas(ctx, req.GetCommunityId(), req.GetUnitId(), in, actorOf(tok), req.GetReason(), req.GetDocumentSha256())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "unit areas corrected", "community", req.GetCommunityId(), "unit", req.GetUnitId(),
		"before_m2", e.Before.Effective().String(), "after_m2", e.After.Effective().String(), "token", tok.ID)
	return &ov.CorrectUnitAreasResponse{Change: rollChangeProto(e, true), Figures: figuresProto(f)}, nil
}

func (s *rollService) WithdrawUnit(ctx context.Context, req *ov.WithdrawUnitRequest) (*ov.WithdrawUnitResponse, error) {
	tok := tokenFrom(ctx)
	e, f, err := s.reg.WithdrawUnit(ctx, s.book, req.GetCommunityId(), req.GetUnitId(), actorOf(tok), req.GetReason())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "unit withdrawn", "community", req.GetCommunityId(), "unit", req.GetUnitId(),
		"area_m2", e.Before.Effective().String(), "token", tok.ID)
	return &ov.WithdrawUnitResponse{Change: rollChangeProto(e, true), Figures: figuresProto(f)}, nil
}

func (s *rollService) TransferUnit(ctx context.Context, req *ov.TransferUnitRequest) (*ov.TransferUnitResponse, error) {
	tok := tokenFrom(ctx)
	sale, err := s.reg.RecordSale(ctx, s.book, req.GetCommunityId(), req.GetUnitId(), ownerInputs(req.GetNewOwners()), req.GetDocumentSha256(), actorOf(tok), "")
	if err != nil {
		return nil, s.err(ctx, recordMatches(ctx, s.book, req.GetCommunityId(), "TransferUnit", err))
	}
	logSale(ctx, s.log, req.GetCommunityId(), req.GetUnitId(), sale)
	resp := &ov.TransferUnitResponse{Change: rollChangeProto(sale.Change, true), Figures: figuresProto(sale.Figures)}
	for _, am := range sale.Amendments {
		resp.Amendments = append(resp.Amendments, &ov.SaleInAssembly{AssemblyId: am.AssemblyID, PreviousVoter: am.PreviousVoter, NewVoter: am.NewVoter,
			Effect: string(am.Effect), RecordTime: timestamppb.New(am.Recorded)})
	}
	return resp, nil
}

func (s *rollService) SetUnitRepresentative(ctx context.Context, req *ov.SetUnitRepresentativeRequest) (*ov.SetUnitRepresentativeResponse, error) {
	tok := tokenFrom(ctx)
	e, f, err := s.reg.SetRepresentative(ctx, s.book, req.GetCommunityId(), req.GetUnitId(), req.GetOwnerId(), actorOf(tok), req.GetReason(), req.GetDocumentSha256())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "unit representative changed", "community", req.GetCommunityId(), "unit", req.GetUnitId(), "owner", req.GetOwnerId(), "token", tok.ID)
	return &ov.SetUnitRepresentativeResponse{Change: rollChangeProto(e, true), Figures: figuresProto(f)}, nil
}

func (s *rollService) CorrectOwner(ctx context.Context, req *ov.CorrectOwnerRequest) (*ov.CorrectOwnerResponse, error) {
	tok := tokenFrom(ctx)
	fix := roll.OwnerFix{Name: req.GetName(), Phone: req.GetPhone(), RemovePhone: req.GetRemovePhone()}
	e, err := s.book.CorrectOwner(ctx, req.GetCommunityId(), req.GetOwnerId(), fix, actorOf(tok), req.GetReason())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "owner corrected", "community", req.GetCommunityId(), "owner", req.GetOwnerId(),
		"name_changed", e.Owner.NameBefore != e.Owner.NameAfter, "phone_changed", e.Owner.PhoneChanged, "token", tok.ID)
	return &ov.CorrectOwnerResponse{Change: rollChangeProto(e, true)}, nil
}

func (s *rollService) ListRollChanges(ctx context.Context, req *ov.ListRollChangesRequest) (*ov.ListRollChangesResponse, error) {
	entries, next, err := accessPage(pageList("ListRollChanges", req.GetCommunityId()), req.GetPageSize(), req.GetPageToken(), func(after uint64, n int) ([]roll.AccessEntry, uint64, error) {
		return s.book.RollChanges(ctx, req.GetCommunityId(), after, n)
	})
	if err != nil {
		return nil, s.err(ctx, err)
	}
	showNames := tokenFrom(ctx).Role.Staff()
	resp := &ov.ListRollChangesResponse{NextPageToken: next}
	for _, e := range entries {
		resp.Changes = append(resp.Changes, rollChangeProto(e, showNames))
	}
	return resp, nil
}

// rollChangeProto is a recorded change of the roll (roll.RollChanges), with
// the owners' names if showNames.
func rollChangeProto(e roll.AccessEntry, showNames bool) *ov.RollChange {
	areas := func(a roll.Areas) *ov.UnitAreas {
		return &ov.UnitAreas{RegisteredAreaM2: areaString(a.Registered), SurveyedAreaM2: areaString(a.Surveyed),
			ContractAreaM2: areaString(a.Contract), EffectiveAreaM2: a.Effective().String()}
	}
	c := &ov.RollChange{UnitId: e.UnitID, Reason: e.Reason, DocumentSha256: e.Document, TokenId: e.TokenID, TokenLabel: e.Label, ChangeTime: timestamppb.New(e.Time)}
	switch e.Action {
	case roll.AreaCorrectionAction:
		c.Kind, c.AreasBefore, c.AreasAfter = ov.RollChangeKind_ROLL_CHANGE_KIND_AREAS_CORRECTED, areas(e.Before), areas(e.After)
	case roll.UnitWithdrawalAction:
		c.Kind, c.AreasBefore, c.UnitKind, c.OwnerIds = ov.RollChangeKind_ROLL_CHANGE_KIND_UNIT_WITHDRAWN, areas(e.Before), kindProto(e.Kind), e.Owners
	case roll.UnitTransferAction:
		c.Kind, c.UnitKind, c.OwnerIds, c.NewOwnerIds = ov.RollChangeKind_ROLL_CHANGE_KIND_UNIT_TRANSFERRED, kindProto(e.Kind), e.Owners, e.NewOwners
	case roll.RepresentativeAction:
		c.Kind, c.OwnerId, c.OwnerIds = ov.RollChangeKind_ROLL_CHANGE_KIND_REPRESENTATIVE_CHANGED, e.OwnerID, e.Owners
		if showNames {
			c.NameBefore, c.NameAfter = e.Owner.NameBefore, e.Owner.NameAfter
		}
	case roll.OwnerCorrectionAction:
		c.Kind, c.OwnerId, c.NameChanged = ov.RollChangeKind_ROLL_CHANGE_KIND_OWNER_CORRECTED, e.OwnerID, e.Owner.NameBefore != e.Owner.NameAfter
		c.MaskedPhoneBefore, c.MaskedPhoneAfter, c.PhoneChanged = e.Owner.MaskedPhoneBefore, e.Owner.MaskedPhoneAfter, e.Owner.PhoneChanged
		if showNames {
			c.NameBefore, c.NameAfter = e.Owner.NameBefore, e.Owner.NameAfter
		}
	}
	return c
}

func (s *rollService) GetRollFigures(ctx context.Context, req *ov.GetRollFiguresRequest) (*ov.RollFigures, error) {
	c, err := s.book.Community(ctx, req.GetCommunityId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return figuresProto(c.Figures), nil
}

func (s *rollService) ListOwners(ctx context.Context, req *ov.ListOwnersRequest) (*ov.ListOwnersResponse, error) {
	n, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	list := pageList("ListOwners", req.GetCommunityId())
	after, err := decodePageToken(list, req.GetPageToken())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	entries, next, err := s.book.Owners(ctx, req.GetCommunityId(), after, n)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	showNames := tokenFrom(ctx).Role.Staff()
	resp := &ov.ListOwnersResponse{NextPageToken: encodePageToken(list, next)}
	for _, e := range entries {
		po := &ov.Owner{OwnerId: e.ID, MaskedPhone: roll.MaskPhone(e.Phone), UnitIds: e.Units, VotingUnitIds: e.VotingUnits, ActiveKeys: int32(e.ActiveKeys)}
		if showNames {
			po.Name = e.Name
		}
		resp.Owners = append(resp.Owners, po)
	}
	return resp, nil
}

func (s *rollService) FindOwner(ctx context.Context, req *ov.FindOwnerRequest) (*ov.FindOwnerResponse, error) {
	tok := tokenFrom(ctx)
	o, err := s.book.FindOwner(ctx, req.GetCommunityId(), req.GetName(), req.GetIdNumber(), actorOf(tok))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "owner found by identity", "community", req.GetCommunityId(), "owner", o.ID, "token", tok.ID)
	return &ov.FindOwnerResponse{OwnerId: o.ID, UnitIds: o.Units, VotingUnitIds: o.VotingUnits}, nil
}

func (s *rollService) RevealOwnerPhone(ctx context.Context, req *ov.RevealOwnerPhoneRequest) (*ov.RevealOwnerPhoneResponse, error) {
	tok := tokenFrom(ctx)
	phone, err := s.book.RevealPhone(ctx, req.GetCommunityId(), req.GetOwnerId(), actorOf(tok), req.GetReason())
	if errors.Is(err, roll.ErrRevealQuota) {
		// Past the quota is what copying the roll looks like: say who.
		s.log.WarnContext(ctx, "phone reveal refused: the sign-in's quota for today is used up", "community", req.GetCommunityId(), "token", tok.ID)
	}
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "phone revealed", "community", req.GetCommunityId(), "owner", req.GetOwnerId(), "token", tok.ID)
	return &ov.RevealOwnerPhoneResponse{Phone: phone}, nil
}

func (s *rollService) ListPhoneReveals(ctx context.Context, req *ov.ListPhoneRevealsRequest) (*ov.ListPhoneRevealsResponse, error) {
	entries, next, err := accessPage(pageList("ListPhoneReveals", req.GetCommunityId()), req.GetPageSize(), req.GetPageToken(), func(after uint64, n int) ([]roll.AccessEntry, uint64, error) {
		return s.book.PhoneReveals(ctx, req.GetCommunityId(), after, n)
	})
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListPhoneRevealsResponse{NextPageToken: next}
	for _, e := range entries {
		resp.Reveals = append(resp.Reveals, &ov.PhoneReveal{OwnerId: e.OwnerID, TokenId: e.TokenID, TokenLabel: e.Label, Reason: e.Reason, RevealTime: timestamppb.New(e.Time)})
	}
	return resp, nil
}

func actorOf(t auth.Token) roll.Actor { return roll.Actor{TokenID: t.ID, Label: t.Label} }

// ownerInputs are owners (an import's, a sale's) as the roll takes them.
func ownerInputs(in []*ov.OwnerInput) []roll.OwnerInput {
	var out []roll.OwnerInput
	for _, o := range in {
		out = append(out, roll.OwnerInput{Name: o.GetName(), IDNumber: o.GetIdNumber(), Phone: o.GetPhone(), Representative: o.GetRepresentative()})
	}
	return out
}

// recordMatches records, before a refused roll change is answered, whose
// identity numbers on the roll the refusal tells of (roll.ImportError's
// OwnersMatched), and returns err; or the recording's error, so that no
// answer tells what is not recorded.
func recordMatches(ctx context.Context, book *roll.Book, communityID, via string, err error) error {
	var ie *roll.ImportError
	if !errors.As(err, &ie) {
		return err
	}
	if rerr := book.RecordIdentityMatches(ctx, actorOf(tokenFrom(ctx)), communityID, ie.OwnersMatched(), via); rerr != nil {
		return rerr
	}
	return err
}

func (s *rollService) ListIdentityMatches(ctx context.Context, req *ov.ListIdentityMatchesRequest) (*ov.ListIdentityMatchesResponse, error) {
	entries, next, err := accessPage(pageList("ListIdentityMatches", req.GetCommunityId()), req.GetPageSize(), req.GetPageToken(), func(after uint64, n int) ([]roll.AccessEntry, uint64, error) {
		return s.book.IdentityMatches(ctx, req.GetCommunityId(), after, n)
	})
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListIdentityMatchesResponse{NextPageToken: next}
	for _, e := range entries {
		resp.Matches = append(resp.Matches, &ov.IdentityMatch{OwnerId: e.OwnerID, TokenId: e.TokenID, TokenLabel: e.Label, Method: e.Reason, MatchTime: timestamppb.New(e.Time)})
	}
	return resp, nil
}

// accessPage reads a page of access records through list, from a
// request's page size and token (an access log sequence number), and
// returns the next page's token ("" at the end).
func accessPage(name string, size int32, token string, list func(after uint64, n int) ([]roll.AccessEntry, uint64, error)) ([]roll.AccessEntry, string, error) {
	n, err := pageSize(size)
	if err != nil {
		return nil, "", err
	}
	last, err := decodePageToken(name, token)
	if err != nil {
		return nil, "", err
	}
	var after uint64
	if last != "" {
		if after, err = strconv.ParseUint(last, 10, 64); err != nil {
			return nil, "", fmt.Errorf("%w: page_token: %v", roll.ErrInvalid, err)
		}
	}
	entries, next, err := list(after, n)
	if err != nil || next == 0 {
		return entries, "", err
	}
	return entries, encodePageToken(name, strconv.FormatUint(next, 10)), nil
}

func (s *rollService) RegisterOwnerKey(ctx context.Context, req *ov.RegisterOwnerKeyRequest) (*ov.OwnerKey, error) {
	k, err := s.book.RegisterKey(ctx, req.GetCommunityId(), req.GetOwnerId(), req.GetPublicKey(), actorOf(tokenFrom(ctx)))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "owner key registered", "community", req.GetCommunityId(), "owner", req.GetOwnerId(), "key", k.ID)
	return keyProto(k), nil
}

func (s *rollService) RotateOwnerKey(ctx context.Context, req *ov.RotateOwnerKeyRequest) (*ov.OwnerKey, error) {
	k, err := s.book.RotateKey(ctx, req.GetCommunityId(), req.GetOwnerId(), req.GetKeyId(), req.GetNewPublicKey(), actorOf(tokenFrom(ctx)))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "owner key rotated", "community", req.GetCommunityId(), "owner", req.GetOwnerId(), "old_key", req.GetKeyId(), "key", k.ID)
	return keyProto(k), nil
}

func (s *rollService) RevokeOwnerKey(ctx context.Context, req *ov.RevokeOwnerKeyRequest) (*ov.OwnerKey, error) {
	k, err := s.book.RevokeKey(ctx, req.GetCommunityId(), req.GetOwnerId(), req.GetKeyId(), req.GetReason(), actorOf(tokenFrom(ctx)))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "owner key revoked", "community", req.GetCommunityId(), "owner", req.GetOwnerId(), "key", k.ID)
	return keyProto(k), nil
}

func (s *rollService) ListOwnerKeys(ctx context.Context, req *ov.ListOwnerKeysRequest) (*ov.ListOwnerKeysResponse, error) {
	keys, err := s.book.Keys(ctx, req.GetCommunityId(), req.GetOwnerId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListOwnerKeysResponse{}
	for _, k := range keys {
		resp.Keys = append(resp.Keys, keyProto(k))
	}
	return resp, nil
}

func communityProto(c roll.Community) *ov.Community {
	return &ov.Community{
		CommunityId: c.ID, Name: c.Name, StreetOffice: c.StreetOffice, ResidentsCommittee: c.ResidentsCommittee,
		HasOwnersCommittee: c.HasOwnersCommittee, CreateTime: timestamppb.New(c.Created), Figures: figuresProto(c.Figures),
	}
}

// figuresBasis explains the figures to people.
const figuresBasis = "总面积为全部专有部分面积之和（含建设单位）；人数按一套专有部分一人计，同一业主多套计一人，" +
	"建设单位未售及已售未交付部分合计一人，共有房屋计一人（《民法典》第278条，最高法建筑物区分所有权解释第8、9条）。" +
	" Total area is the sum of all exclusive units, the developer's included; headcount is one per unit, " +
	"one owner with several units counts once, all developer-held units together count once, a co-owned unit counts once."

func figuresProto(f roll.Figures) *ov.RollFigures {
	return &ov.RollFigures{
		UnitCount: int32(f.Units), TotalAreaM2: f.Total.Area.String(), TotalHead: int32(f.Total.Head),
		DeveloperUnitCount: int32(f.DeveloperUnits), DeveloperAreaM2: f.DeveloperArea.String(),
		MultiUnitOwnerCount: int32(f.MultiUnitOwners), CoOwnedUnitCount: int32(f.CoOwnedUnits), Basis: figuresBasis,
	}
}

func keyProto(k roll.Key) *ov.OwnerKey {
	pk := &ov.OwnerKey{
		KeyId: k.ID, OwnerId: k.OwnerID, PublicKey: k.PublicKey, Status: ov.KeyStatus_KEY_STATUS_ACTIVE,
		CreateTime: timestamppb.New(k.Created), RevokeReason: k.RevokeReason, ReplacedBy: k.ReplacedBy, RegisteredBy: k.RegisteredBy, RevokedBy: k.RevokedBy,
		RegisteredByTokenId: k.RegisteredByToken, RevokedByTokenId: k.RevokedByToken,
	}
	if !k.Active() {
		pk.Status = ov.KeyStatus_KEY_STATUS_REVOKED
		pk.RevokeTime = timestamppb.New(k.Revoked)
	}
	return pk
}

func areaString(a *tally.Area) string {
	if a == nil {
		return ""
	}
	return a.String()
}

var kinds = map[ov.UnitKind]roll.Kind{
	ov.UnitKind_UNIT_KIND_UNSPECIFIED:      roll.Person,
	ov.UnitKind_UNIT_KIND_PERSON:           roll.Person,
	ov.UnitKind_UNIT_KIND_DEVELOPER_UNSOLD: roll.DeveloperUnsold,
	ov.UnitKind_UNIT_KIND_SOLD_UNDELIVERED: roll.SoldUndelivered,
}

func kindFromProto(k ov.UnitKind) (roll.Kind, error) {
	rk, ok := kinds[k]
	if !ok {
		return "", fmt.Errorf("unknown unit kind %d", k)
	}
	return rk, nil
}

func kindProto(k roll.Kind) ov.UnitKind {
	for pk, rk := range kinds {
		if rk == k && pk != ov.UnitKind_UNIT_KIND_UNSPECIFIED {
			return pk
		}
	}
	return ov.UnitKind_UNIT_KIND_UNSPECIFIED
}
