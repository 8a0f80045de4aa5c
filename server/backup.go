package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Backuper writes a consistent copy of the whole database; *store.Bolt is
// one.
type Backuper interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// BackupPath is the HTTP endpoint of online backups. It is not a gRPC
// method: the handler checks the caller against the policy row
// backupRule itself.
const BackupPath = "/v1/admin/backup"

// backupRule is the policy table's row for GET /v1/admin/backup.
const backupRule = "GET " + BackupPath

// backupHandler streams a consistent copy of the database (bbolt
// Tx.WriteTo in one read transaction; intake goes on meanwhile) to a
// street-admin token for all communities. The copy holds the database
// only: identity.secret and the key files are not in it (see
// docs/security.md).
func (s *Server) backupHandler(az *authorizer, lim *limiter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", h))
		}
		ctx, _, err := az.authenticate(ctx, backupRule)
		if err != nil {
			err = toStatus(r.Context(), s.log, err)
			writeHTTPError(w, r, runtime.HTTPStatusFromCode(status.Code(err)), err)
			return
		}
		if err := lim.admit(ctx); err != nil {
			writeHTTPError(w, r, runtime.HTTPStatusFromCode(status.Code(err)), err)
			return
		}
		if s.cfg.Backup == nil {
			writeHTTPError(w, r, http.StatusNotImplemented, status.Error(codes.Unimplemented, "this server has no backup source configured"))
			return
		}
		start := time.Now()
		name := fmt.Sprintf("ownervote-%s.db", start.UTC().Format("20060102T150405Z"))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		cw := &countingWriter{w: w}
		n, err := s.cfg.Backup.Backup(ctx, cw)
		tok := tokenFrom(ctx)
		if err != nil {
			s.log.ErrorContext(ctx, "backup failed", "token", tok.ID, "bytes", n, "err", err)
			if cw.n == 0 {
				writeHTTPError(w, r, http.StatusInternalServerError, toStatus(ctx, s.log, err))
				return
			}
			// Part of the file is out: break the connection so that the
			// client cannot take a truncated copy for a whole one.
			panic(http.ErrAbortHandler)
		}
		s.log.InfoContext(ctx, "backup taken", "token", tok.ID, "bytes", n, "ms", time.Since(start).Milliseconds())
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
