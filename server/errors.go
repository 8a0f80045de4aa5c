package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
)

// errorDomain is the google.rpc.ErrorInfo domain of ownervote's errors.
const errorDomain = "ownervote"

// errorMapping maps a domain sentinel to what the client sees.
type errorMapping struct {
	err    error
	code   codes.Code
	reason string
	zh     string
}

// errorTable is the one place where domain errors become gRPC status codes.
// The first entry that matches under errors.Is wins.
var errorTable = []errorMapping{
	// First: a domain answer that came with a storage failure rests on
	// what was not made durable.
	{store.ErrWriteFailed, codes.Unavailable, "STORAGE_FAILED", "服务器磁盘写入失败，本次操作未获确认；服务重启后请重试（同一张选票重复提交只计一次）"},
	{store.ErrUnavailable, codes.Unavailable, "STORAGE_UNAVAILABLE", "服务器暂时无法写入（如磁盘已满），本次操作未保存，请稍后重试"},
	{auth.ErrUnauthenticated, codes.Unauthenticated, "UNAUTHENTICATED", "未提供登录凭证（访问令牌），或凭证无效、已吊销、已过期"},
	{auth.ErrPermissionDenied, codes.PermissionDenied, "PERMISSION_DENIED", "当前登录凭证的角色或所属小区无权执行此操作"},
	{auth.ErrTokenNotFound, codes.NotFound, "TOKEN_NOT_FOUND", "登录凭证不存在"},
	{auth.ErrInvalid, codes.InvalidArgument, "INVALID_ARGUMENT", "请求参数有误"},
	{roll.ErrInvalidImport, codes.InvalidArgument, "INVALID_IMPORT", "导入被拒绝，未写入任何数据，请按逐条说明修改后重新导入"},
	{roll.ErrInvalid, codes.InvalidArgument, "INVALID_ARGUMENT", "请求参数有误"},
	{roll.ErrCommunityNotFound, codes.NotFound, "COMMUNITY_NOT_FOUND", "小区不存在"},
	{roll.ErrCommunityExists, codes.AlreadyExists, "COMMUNITY_EXISTS", "小区编号已存在"},
	{roll.ErrOwnerNotFound, codes.NotFound, "OWNER_NOT_FOUND", "业主不存在"},
	{roll.ErrUnitNotFound, codes.NotFound, "UNIT_NOT_FOUND", "房屋不在本小区名册上"},
	{roll.ErrKeyNotFound, codes.NotFound, "KEY_NOT_FOUND", "签名密钥不存在"},
	{roll.ErrKeyRevoked, codes.FailedPrecondition, "KEY_REVOKED", "签名密钥已吊销"},
	{roll.ErrKeyInUse, codes.AlreadyExists, "KEY_IN_USE", "该公钥已登记，不能重复使用"},
	{roll.ErrNotVoter, codes.FailedPrecondition, "NOT_VOTER", "该业主不代表任何房屋投票（共有房屋请登记代表人）"},
	{roll.ErrNoPhone, codes.FailedPrecondition, "NO_PHONE", "该业主未登记联系电话"},
	{roll.ErrRevealQuota, codes.ResourceExhausted, "REVEAL_QUOTA", "本登录今日可查看完整号码的业主数已达上限，请明日再查"},
	{assembly.ErrNotOpen, codes.FailedPrecondition, "VOTING_NOT_OPEN", "投票尚未开始，本票不计入：请在投票开始后重新提交"},
	{assembly.ErrVotingClosed, codes.FailedPrecondition, "VOTING_CLOSED", "投票已结束，本票不计入，也未予登记"},
	{assembly.ErrChannelNotAccepted, codes.FailedPrecondition, "CHANNEL_NOT_ACCEPTED", "本次会议不接受该投票渠道"},
	{assembly.ErrRollMismatch, codes.FailedPrecondition, "ROLL_MISMATCH", "选票所依据的业主名册与本次会议冻结的名册不一致"},
	{assembly.ErrNotOnRoll, codes.FailedPrecondition, "NOT_ON_ROLL", "投票人不在本次会议冻结的业主名册上"},
	{assembly.ErrNoRight, codes.FailedPrecondition, "NO_RIGHT_TO_SIGN", "签名人无权代该业主投票"},
	{assembly.ErrKeyRevoked, codes.FailedPrecondition, "KEY_REVOKED", "签名密钥已吊销"},
	{assembly.ErrNotOnAgenda, codes.InvalidArgument, "NOT_ON_AGENDA", "选票含有未列入已公告议程的事项"},
	{assembly.ErrBadChoice, codes.InvalidArgument, "BAD_CHOICE", "选票中的选择不符合该事项"},
	{assembly.ErrAlreadyVoted, codes.AlreadyExists, "ALREADY_VOTED", "该业主已有计票的选票，本票不计入并已登记"},
	{assembly.ErrFutureBallot, codes.InvalidArgument, "FUTURE_BALLOT", "选票（或电话、走访、纸质表决）的时间晚于服务器当前时间，本票不计入并已登记"},
	{assembly.ErrEarlyBallot, codes.InvalidArgument, "EARLY_BALLOT", "选票（或电话、走访、纸质表决）的时间早于投票开始时间，本票不计入并已登记"},
	{assembly.ErrObjectionsClosed, codes.FailedPrecondition, "OBJECTION_WINDOW_CLOSED", "询异期已结束，不再受理异议"},
	{assembly.ErrNotYourKey, codes.PermissionDenied, "NOT_YOUR_KEY", "该签名密钥由他人登录时登记，只能由其本人使用"},
	{assembly.ErrKeyNotRevoked, codes.FailedPrecondition, "KEY_NOT_REVOKED", "要更换的委员密钥尚未注销：请街道管理员先注销遗失的密钥"},
	{assembly.ErrBadVouch, codes.InvalidArgument, "BAD_VOUCH_SIGNATURE", "担保签名验证失败"},
	{assembly.ErrNotHolderEnrolled, codes.FailedPrecondition, "KEY_NOT_HOLDER_ENROLLED", "新密钥须由委员本人通过发给本人的登录凭证（签发时填写其委员编号）登记"},
	{assembly.ErrNotConfirmed, codes.FailedPrecondition, "NOT_CONFIRMED", "表决截止前未经第二名工作人员复核，该选票不计入"},
	{assembly.ErrRejectedAtCheck, codes.FailedPrecondition, "REJECTED_AT_CHECK", "第二名工作人员复核时驳回了该选票，不计入；业主可重新投票"},
	{assembly.ErrMalformedBallot, codes.InvalidArgument, "MALFORMED_BALLOT", "选票格式不正确"},
	{assembly.ErrWrongAssembly, codes.InvalidArgument, "WRONG_ASSEMBLY", "选票所写的会议与提交的会议不一致"},
	{assembly.ErrBadConfirmation, codes.InvalidArgument, "BAD_SIGNATURE", "复核签名验证失败"},
	{assembly.ErrBadRejection, codes.InvalidArgument, "BAD_SIGNATURE", "驳回签名验证失败"},
	{assembly.ErrBadSignature, codes.InvalidArgument, "BAD_SIGNATURE", "选票签名验证失败"},
	{assembly.ErrUnknownSignerKey, codes.FailedPrecondition, "UNKNOWN_SIGNER_KEY", "签名密钥未登记"},
	{assembly.ErrInvalid, codes.InvalidArgument, "INVALID_ARGUMENT", "请求参数有误"},
	{assembly.ErrNotFound, codes.NotFound, "ASSEMBLY_NOT_FOUND", "会议不存在"},
	{assembly.ErrObjectionNotFound, codes.NotFound, "OBJECTION_NOT_FOUND", "异议不存在"},
	{assembly.ErrExists, codes.AlreadyExists, "ALREADY_EXISTS", "已存在"},
	{assembly.ErrWrongState, codes.FailedPrecondition, "WRONG_STATE", "会议当前状态不允许此操作"},
	{assembly.ErrAdminOnly, codes.PermissionDenied, "PERMISSION_DENIED", "会议当前状态下只有街道管理员可以执行此操作"},
	{assembly.ErrShortNotice, codes.FailedPrecondition, "SHORT_NOTICE", "公告期不足15日，须记录理由方可发布"},
	{assembly.ErrEmptyRoll, codes.FailedPrecondition, "EMPTY_ROLL", "小区业主名册为空"},
	{assembly.ErrSignerNotFound, codes.NotFound, "SIGNER_NOT_FOUND", "签名人不存在"},
	{assembly.ErrSignerExists, codes.AlreadyExists, "SIGNER_EXISTS", "该公钥已登记"},
	{assembly.ErrSignerNotPending, codes.FailedPrecondition, "SIGNER_NOT_PENDING", "该签名密钥不在待审批状态"},
	{assembly.ErrBallotNotFound, codes.NotFound, "BALLOT_NOT_FOUND", "选票不存在"},
	{assembly.ErrProxyNotFound, codes.NotFound, "PROXY_NOT_FOUND", "该业主没有可撤销的委托"},
	{assembly.ErrProxyCap, codes.FailedPrecondition, "PROXY_CAP", "受托人代理的业主数已达上限"},
	{assembly.ErrNotPending, codes.FailedPrecondition, "NOT_PENDING", "该选票不在待复核状态"},
	{assembly.ErrSameStaff, codes.FailedPrecondition, "SAME_STAFF", "复核人须与录入人不同"},
	{assembly.ErrBallotWaiting, codes.FailedPrecondition, "BALLOT_WAITING", "该房屋业主有待复核的选票：请先复核计入或驳回，再登记过户"},
	{assembly.ErrVoterWaiting, codes.FailedPrecondition, "BALLOT_WAITING", "该业主已有一张选票待第二名工作人员复核，以该票为准：本票不计入并已登记；该票若被驳回，业主可重新投票"},
	{assembly.ErrPaperReused, codes.FailedPrecondition, "PAPER_REUSED", "这张纸质表决票（编号或扫描件相同）已作为另一户的选票录入，一张表决票只计一户：本票不计入并已登记。如那次录入有误：仍待复核的，请由第二名工作人员驳回后再录入；已计票的，请通过异议程序处理，该户可另领新编号的表决票表决"},
	{assembly.ErrObjectionWindow, codes.FailedPrecondition, "OBJECTION_WINDOW_OPEN", "询异期尚未结束，暂不能认证"},
	{assembly.ErrClockBehind, codes.Unavailable, "CLOCK_BEHIND", "服务器时钟比该会议日志的最后时间慢了5分钟以上，暂不能写入：请管理员校准服务器时间后重试"},
	{assembly.ErrOpenObjections, codes.FailedPrecondition, "OBJECTIONS_UNANSWERED", "尚有异议未答复，暂不能认证"},
	{assembly.ErrNotMember, codes.PermissionDenied, "NOT_COMMITTEE_MEMBER", "该密钥不属于本次会议的认证委员"},
	{assembly.ErrDuplicateSigner, codes.AlreadyExists, "ALREADY_SIGNED", "该委员已签名"},
	{assembly.ErrBadCertSignature, codes.InvalidArgument, "BAD_CERT_SIGNATURE", "委员签名验证失败"},
	{assembly.ErrImmutable, codes.FailedPrecondition, "CERTIFIED_IMMUTABLE", "结果已认证，会议及其日志不可再更改"},
	{store.ErrSchemaTooNew, codes.FailedPrecondition, "SCHEMA_TOO_NEW", "数据库版本高于本程序"},
	{ErrRateLimited, codes.ResourceExhausted, "RATE_LIMITED", "请求过于频繁，请稍后重试"},
	{ErrRequestTooLarge, codes.ResourceExhausted, "REQUEST_TOO_LARGE", "请求内容过大"},
	{ErrMalformedRequest, codes.InvalidArgument, "MALFORMED_REQUEST", "请求无法解析：JSON 正文、路径参数或查询参数的格式不正确（文字须为 UTF-8）"},
	{errNoPublishedResult, codes.NotFound, "NO_PUBLISHED_RESULT", "没有这次会议的表决结果：结果在表决结束后公布"},
	{errNoPublishedAgenda, codes.NotFound, "NO_PUBLISHED_AGENDA", "没有这次会议的公告：会议在发布后公告"},
	{ErrShuttingDown, codes.Unavailable, "SHUTTING_DOWN", "服务器正在停止，请稍后重试"},
	// A refusal whose reason no row above names.
	{assembly.ErrRefused, codes.FailedPrecondition, "REFUSED", "选票被拒收，已登记"},
	{context.DeadlineExceeded, codes.DeadlineExceeded, "DEADLINE_EXCEEDED", "请求超时"},
	{context.Canceled, codes.Canceled, "CANCELLED", "请求已取消"},
}

// toStatus converts an error from a domain package into a gRPC status with
// an ErrorInfo reason, a zh-CN LocalizedMessage and, for refused imports,
// one BadRequest field violation per problem. Errors that match no entry are
// internal: the client gets a plain "internal error" and the log the detail.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	m, ok := mappingOf(err)
	if !ok {
		log.ErrorContext(ctx, "internal error", "err", err)
		return withReason(status.New(codes.Internal, "internal error"), "INTERNAL", "服务器内部错误，请稍后重试").Err()
	}
	var fe *roll.FileError
	if errors.As(err, &fe) {
		// A roster file's problems, each with its row and column.
		br := &errdetails.BadRequest{}
		for _, p := range fe.Problems {
			br.FieldViolations = append(br.FieldViolations, violation(p.Place.String(), p.Reason, p.ZH, p.Err))
		}
		return refusedImport(m, fmt.Sprintf("roster refused, nothing written: %d problem(s), see the field violations", len(fe.Problems)), br)
	}
	var ie *roll.ImportError
	if !errors.As(err, &ie) {
		zh := m.zh
		if d := l10n.Of(err); d != "" {
			zh = d // a sentence about this very case
		}
		// A refusal names its ballot, and ALREADY_VOTED the ballot that
		// counts, as metadata an integrator need not parse from the text.
		var ref *assembly.Refusal
		if errors.As(err, &ref) && ref.ZH != "" {
			zh = ref.ZH
		}
		if ref != nil && ref.BallotID != "" {
			md := map[string]string{"ballot_id": ref.BallotID}
			if ref.Waiting != "" {
				md["waiting_ballot_id"] = ref.Waiting
			}
			if ref.Counted != "" {
				md["counted_ballot_id"] = ref.Counted
			}
			if !ref.Received.IsZero() {
				md["replayed"] = "true" // the first answer, to the same bytes sent again
			}
			return withReason(status.New(m.code, err.Error()), m.reason, zh, md).Err()
		}
		st := withReason(status.New(m.code, err.Error()), m.reason, zh)
		// A refusal that lifts at a known time says when (roll.RetryError).
		var re interface{ RetryAfter() time.Duration }
		if errors.As(err, &re) {
			if withRetry, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(re.RetryAfter())}); derr == nil {
				st = withRetry
			}
		}
		return st.Err()
	}
	br := &errdetails.BadRequest{}
	for _, p := range ie.Problems {
		br.FieldViolations = append(br.FieldViolations, violation(p.Path(), p.Reason, p.ZH, p.Err))
	}
	return refusedImport(m, "import refused, nothing written: see the field violations", br)
}

// violation is one problem of a refused import.
func violation(field, reason, zh string, err error) *errdetails.BadRequest_FieldViolation {
	fv := &errdetails.BadRequest_FieldViolation{Field: field, Description: reason, Reason: reasonOf(err)}
	if zh != "" {
		fv.LocalizedMessage = &errdetails.LocalizedMessage{Locale: "zh-CN", Message: zh}
	}
	return fv
}

// refusedImport is the status of a refused import, with its problems.
func refusedImport(m errorMapping, msg string, br *errdetails.BadRequest) error {
	st := withReason(status.New(m.code, msg), m.reason, m.zh)
	if withBR, derr := st.WithDetails(br); derr == nil {
		st = withBR
	}
	return st.Err()
}

// mappingOf is the first row of errorTable that err matches.
func mappingOf(err error) (errorMapping, bool) {
	for _, m := range errorTable {
		if errors.Is(err, m.err) {
			return m, true
		}
	}
	return errorMapping{}, false
}

// problemReasons are the reasons of the kinds of import problem.
var problemReasons = []struct {
	err    error
	reason string
}{
	{roll.ErrDuplicateUnit, "DUPLICATE_UNIT"},
	{roll.ErrBadArea, "BAD_AREA"},
	{roll.ErrMissingOwner, "MISSING_OWNER"},
	{roll.ErrConflictingOwner, "CONFLICTING_OWNER"},
}

// reasonOf returns the field-violation reason of an import problem.
func reasonOf(err error) string {
	for _, p := range problemReasons {
		if errors.Is(err, p.err) {
			return p.reason
		}
	}
	return "INVALID_ARGUMENT"
}
