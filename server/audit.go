package server

import (
	"context"
	"slices"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/assembly"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// maxLogPage bounds ListLogEntries.
const maxLogPage = 1000

func (s *assemblyService) GetCheckpoint(ctx context.Context, req *ov.GetCheckpointRequest) (*ov.Checkpoint, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	cp, size, err := s.reg.Checkpoint(ctx, req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return &ov.Checkpoint{Checkpoint: string(cp), Size: size, LogVerifierKey: s.reg.LogVerifierKey()}, nil
}

func (s *assemblyService) GetInclusionProof(ctx context.Context, req *ov.GetInclusionProofRequest) (*ov.InclusionProof, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	p, err := s.reg.InclusionProof(ctx, req.GetAssemblyId(), req.GetIndex(), req.GetSize())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	out := &ov.InclusionProof{Index: req.GetIndex(), Size: req.GetSize(), Hashes: p}
	// The entry itself only to the roles that may read the log: the city
	// platform proves the entries it holds (its receipts' log entries)
	// and does not read the other channels' ballots.
	if slices.Contains(overseers, tokenFrom(ctx).Role) {
		entries, err := s.reg.LogEntries(ctx, req.GetAssemblyId(), req.GetIndex(), 1)
		if err != nil {
			return nil, s.err(ctx, err)
		}
		out.Entry = entries[0]
	}
	return out, nil
}

func (s *assemblyService) GetConsistencyProof(ctx context.Context, req *ov.GetConsistencyProofRequest) (*ov.ConsistencyProof, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	p, err := s.reg.ConsistencyProof(ctx, req.GetAssemblyId(), req.GetSize1(), req.GetSize2())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return &ov.ConsistencyProof{Size1: req.GetSize1(), Size2: req.GetSize2(), Hashes: p}, nil
}

func (s *assemblyService) ListLogEntries(ctx context.Context, req *ov.ListLogEntriesRequest) (*ov.ListLogEntriesResponse, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	n, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	entries, err := s.reg.LogEntries(ctx, req.GetAssemblyId(), req.GetFromIndex(), min(n, maxLogPage))
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return &ov.ListLogEntriesResponse{Entries: entries}, nil
}

func objectionProto(o assembly.Objection) *ov.Objection {
	p := &ov.Objection{ObjectionId: o.ID, Text: o.Text, RecordTime: timestamppb.New(o.At), Response: o.Response}
	if !o.RespondedAt.IsZero() {
		p.ResponseTime = timestamppb.New(o.RespondedAt)
	}
	return p
}

func (s *assemblyService) RecordObjection(ctx context.Context, req *ov.RecordObjectionRequest) (*ov.Objection, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	o, err := s.reg.Object(ctx, req.GetAssemblyId(), req.GetText(), tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "objection recorded", "assembly", req.GetAssemblyId(), "objection", o.ID, "token", tokenFrom(ctx).ID)
	return objectionProto(o), nil
}

func (s *assemblyService) RespondObjection(ctx context.Context, req *ov.RespondObjectionRequest) (*ov.Objection, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	o, err := s.reg.Respond(ctx, req.GetAssemblyId(), req.GetObjectionId(), req.GetText(), tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "objection answered", "assembly", req.GetAssemblyId(), "objection", o.ID, "token", tokenFrom(ctx).ID)
	return objectionProto(o), nil
}

func (s *assemblyService) CertifyResult(ctx context.Context, req *ov.CertifyResultRequest) (*ov.Assembly, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	a, err := s.reg.Certify(ctx, req.GetAssemblyId(), req.GetKeyId(), req.GetSignature(), tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "certification signature", "assembly", a.ID, "key", req.GetKeyId(), "certified", a.State == assembly.Certified, "token", tokenFrom(ctx).ID)
	return s.assemblyProto(a), nil
}

func (s *assemblyService) ReplaceCommitteeKey(ctx context.Context, req *ov.ReplaceCommitteeKeyRequest) (*ov.Assembly, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	a, err := s.reg.ReplaceCommitteeKey(ctx, req.GetAssemblyId(), req.GetReplacedKeyId(), req.GetKeyId(), req.GetEndorserKeyId(), req.GetSignature(), tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "committee key replaced", "assembly", a.ID, "replaced", req.GetReplacedKeyId(), "key", req.GetKeyId(), "endorser", req.GetEndorserKeyId(), "token", tokenFrom(ctx).ID)
	return s.assemblyProto(a), nil
}

func (s *assemblyService) ExportAssembly(ctx context.Context, req *ov.ExportAssemblyRequest) (*ov.ExportAssemblyResponse, error) {
	if _, err := s.get(ctx, req.GetCommunityId(), req.GetAssemblyId()); err != nil {
		return nil, s.err(ctx, err)
	}
	b, err := s.reg.Export(ctx, req.GetAssemblyId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	files, err := b.Files()
	if err != nil {
		return nil, s.err(ctx, err)
	}
	return &ov.ExportAssemblyResponse{Files: files}, nil
}
