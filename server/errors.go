package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/ownervote/ownervote/auth"
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
	{auth.ErrUnauthenticated, codes.Unauthenticated, "UNAUTHENTICATED", "未提供令牌，或令牌无效、已吊销"},
	{auth.ErrPermissionDenied, codes.PermissionDenied, "PERMISSION_DENIED", "当前令牌的角色或所属小区无权执行此操作"},
	{auth.ErrTokenNotFound, codes.NotFound, "TOKEN_NOT_FOUND", "令牌不存在"},
	{auth.ErrInvalid, codes.InvalidArgument, "INVALID_ARGUMENT", "请求参数有误"},
	{roll.ErrInvalidImport, codes.InvalidArgument, "INVALID_IMPORT", "导入被拒绝，未写入任何数据，请按逐条说明修改后重新导入"},
	{roll.ErrInvalid, codes.InvalidArgument, "INVALID_ARGUMENT", "请求参数有误"},
	{roll.ErrCommunityNotFound, codes.NotFound, "COMMUNITY_NOT_FOUND", "小区不存在"},
	{roll.ErrCommunityExists, codes.AlreadyExists, "COMMUNITY_EXISTS", "小区编号已存在"},
	{roll.ErrOwnerNotFound, codes.NotFound, "OWNER_NOT_FOUND", "业主不存在"},
	{roll.ErrKeyNotFound, codes.NotFound, "KEY_NOT_FOUND", "签名密钥不存在"},
	{roll.ErrKeyRevoked, codes.FailedPrecondition, "KEY_REVOKED", "签名密钥已吊销"},
	{roll.ErrKeyInUse, codes.AlreadyExists, "KEY_IN_USE", "该公钥已登记，不能重复使用"},
	{roll.ErrNotVoter, codes.FailedPrecondition, "NOT_VOTER", "该业主不代表任何房屋投票（共有房屋请登记代表人）"},
	{roll.ErrNoPhone, codes.FailedPrecondition, "NO_PHONE", "该业主未登记联系电话"},
	{store.ErrSchemaTooNew, codes.FailedPrecondition, "SCHEMA_TOO_NEW", "数据库版本高于本程序"},
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
	for _, m := range errorTable {
		if !errors.Is(err, m.err) {
			continue
		}
		st := status.New(m.code, err.Error())
		details := []protoadapt.MessageV1{
			&errdetails.ErrorInfo{Reason: m.reason, Domain: errorDomain},
			&errdetails.LocalizedMessage{Locale: "zh-CN", Message: m.zh},
		}
		var ie *roll.ImportError
		if errors.As(err, &ie) {
			br := &errdetails.BadRequest{}
			for _, p := range ie.Problems {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
					Field: p.Path(), Description: p.Reason, Reason: reasonOf(p.Err),
				})
			}
			details = append(details, br)
			st = status.New(m.code, "import refused, nothing written: see the field violations")
		}
		if withDetails, derr := st.WithDetails(details...); derr == nil {
			st = withDetails
		}
		return st.Err()
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	st, _ := status.New(codes.Internal, "internal error").WithDetails(
		&errdetails.ErrorInfo{Reason: "INTERNAL", Domain: errorDomain},
		&errdetails.LocalizedMessage{Locale: "zh-CN", Message: "服务器内部错误，请稍后重试"},
	)
	return st.Err()
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
