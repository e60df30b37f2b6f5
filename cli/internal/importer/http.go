package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Conns returns the connection to a service ("warranty", "dispatch", "inventory").
type Conns func(service string) grpc.ClientConnInterface

// Handler is the console's upload: a POST of multipart/form-data with `kind` (units, …), `file`
// (CSV or XLSX; JSON lines for policies) and optionally `validate_only=true` answers the import's Report as JSON (200
// whether or not rows were rejected: `applied` says). A bad form or header is 400 with
// {"error", "error_zh"}; a refused call keeps its gRPC code's HTTP status. The caller's
// Authorization header is passed on to the service, which checks that the caller is an admin.
func Handler(conns Conns) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, errors.New("POST a multipart form"), "请用 POST 提交表单")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxFileBytes+1<<20)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			writeError(w, http.StatusBadRequest, err, "表单无法读取")
			return
		}
		kind, err := Lookup(r.FormValue("kind"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err, "未知的导入类型")
			return
		}
		f, fh, err := r.FormFile("file")
		if err != nil {
			writeError(w, http.StatusBadRequest, errors.New("file: a CSV or XLSX file is required"), "请选择 CSV 或 XLSX 文件")
			return
		}
		defer f.Close()
		t, err := Read(fh.Filename, f)
		if err != nil {
			writeError(w, http.StatusBadRequest, err, "文件无法读取")
			return
		}
		validateOnly, _ := strconv.ParseBool(r.FormValue("validate_only"))
		ctx := r.Context()
		if a := r.Header.Get("Authorization"); a != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", a)
		}
		cc := conns(kind.Service)
		if cc == nil {
			writeError(w, http.StatusServiceUnavailable, fmt.Errorf("the %s service is not connected to this console", kind.Service), "本控制台未连接"+kind.Service+"服务")
			return
		}
		rep, err := kind.Import(ctx, cc, t, Options{ValidateOnly: validateOnly})
		var herr *HeaderError
		switch {
		case errors.As(err, &herr):
			writeError(w, http.StatusBadRequest, err, herr.ZH())
			return
		case err != nil:
			writeError(w, httpStatus(err), err, "导入失败")
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(rep)
	})
}

func writeError(w http.ResponseWriter, code int, err error, zh string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error(), "error_zh": zh})
}

// httpStatus maps a failed call's gRPC code to an HTTP status.
func httpStatus(err error) int {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	}
	return http.StatusBadGateway
}
