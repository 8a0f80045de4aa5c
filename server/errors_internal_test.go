package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// TestStorageAndFallbackStatuses: storage failures are UNAVAILABLE and win
// over a domain answer they come with (that answer rests on what was not
// made durable); a refusal whose reason no row names is still a refusal.
func TestStorageAndFallbackStatuses(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		name   string
		err    error
		code   codes.Code
		reason string
	}{
		{"fdatasync failed", fmt.Errorf("%w: journal fdatasync failed: %w", store.ErrWriteFailed, errors.New("input/output error")), codes.Unavailable, "STORAGE_FAILED"},
		{"with a domain answer", errors.Join(assembly.ErrExists, store.ErrWriteFailed), codes.Unavailable, "STORAGE_FAILED"},
		{"disk full", fmt.Errorf("%w: journal write: %w", store.ErrUnavailable, errors.New("no space left on device")), codes.Unavailable, "STORAGE_UNAVAILABLE"},
		{"unnamed refusal", &assembly.Refusal{Reason: assembly.ErrRefused, Detail: "refused", BallotID: "b"}, codes.FailedPrecondition, "REFUSED"},
		{"named refusal", &assembly.Refusal{Reason: assembly.ErrAlreadyVoted, Detail: "again", BallotID: "b"}, codes.AlreadyExists, "ALREADY_VOTED"},
	} {
		err := toStatus(context.Background(), log, c.err)
		if status.Code(err) != c.code || ReasonOf(err) != c.reason {
			t.Errorf("%s: %v (%s), want %v %s", c.name, status.Code(err), ReasonOf(err), c.code, c.reason)
		}
	}
}

// TestRequirementText: a motion's requirement reads as a sentence in both
// languages: 达到…以上 for at least, 超过 for more than.
func TestRequirementText(t *testing.T) {
	for _, tc := range []struct {
		r    tally.Requirement
		want string
	}{
		{tally.Requirement{Threshold: tally.Threshold{Num: 3, Den: 4}, Of: tally.OfParticipants},
			"参与表决专有部分面积和人数均达到3/4以上 / at least 3/4 of participating area and headcount"},
		{tally.Requirement{Threshold: tally.Threshold{Num: 1, Den: 2, Strict: true}, Of: tally.OfAll},
			"全体业主专有部分面积和人数均超过1/2 / more than 1/2 of all owners' area and headcount"},
	} {
		if got := requirementText(tc.r); got != tc.want {
			t.Errorf("requirementText(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
