package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// The phone campaign's call log (AssemblyService.RecordCallAttempt and
// ListCallAttempts): staff only, never in the public notice or the export.

func (s *assemblyService) RecordCallAttempt(ctx context.Context, req *ov.RecordCallAttemptRequest) (*ov.CallAttempt, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	if _, known := ov.CallOutcome_name[int32(req.GetOutcome())]; !known || req.GetOutcome() == ov.CallOutcome_CALL_OUTCOME_UNSPECIFIED {
		return nil, s.err(ctx, fmt.Errorf("%w: outcome: %v: want one of %s", assembly.ErrInvalid, req.GetOutcome(), enumNames(ov.CallOutcome_name)))
	}
	tok := tokenFrom(ctx)
	c := assembly.CallAttempt{Voter: req.GetVoter(), Outcome: assembly.CallOutcome(strings.TrimPrefix(req.GetOutcome().String(), "CALL_OUTCOME_")),
		Note: req.GetNote(), By: tok.ID, ByLabel: tok.Label}
	if ch := req.GetChannel(); ch != ov.Channel_CHANNEL_UNSPECIFIED {
		c.Channel = ballot.Channel(strings.TrimPrefix(ch.String(), "CHANNEL_"))
	}
	if req.GetCallbackTime() != nil {
		c.CallBack = req.GetCallbackTime().AsTime()
	}
	got, err := s.reg.RecordCall(ctx, req.GetAssemblyId(), c)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "call attempt recorded", "assembly", req.GetAssemblyId(), "seq", got.Seq, "outcome", got.Outcome, "token", tok.ID)
	return callProto(req.GetAssemblyId(), got), nil
}

func (s *assemblyService) ListCallAttempts(ctx context.Context, req *ov.ListCallAttemptsRequest) (*ov.ListCallAttemptsResponse, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	list, err := s.reg.Calls(ctx, req.GetAssemblyId(), req.GetVoter())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListCallAttemptsResponse{}
	for _, c := range list {
		resp.CallAttempts = append(resp.CallAttempts, callProto(req.GetAssemblyId(), c))
	}
	return resp, nil
}

func callProto(assemblyID string, c assembly.CallAttempt) *ov.CallAttempt {
	p := &ov.CallAttempt{AssemblyId: assemblyID, Voter: c.Voter, Seq: c.Seq,
		Outcome: ov.CallOutcome(ov.CallOutcome_value["CALL_OUTCOME_"+string(c.Outcome)]), Channel: channelProto(c.Channel),
		Note: c.Note, RecordTime: timestamppb.New(c.At), RecordedBy: c.ByLabel}
	if p.RecordedBy == "" {
		p.RecordedBy = c.By
	}
	if !c.CallBack.IsZero() {
		p.CallbackTime = timestamppb.New(c.CallBack)
	}
	return p
}
