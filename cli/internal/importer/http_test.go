package importer_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/sanbao/sanbao/cli/internal/importer"
)

func upload(t *testing.T, h http.Handler, kind, name string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerUpload(t *testing.T) {
	w := start(t)
	h := importer.Handler(func(service string) grpc.ClientConnInterface {
		if service != "warranty" {
			t.Errorf("Handler asked for %s, want warranty", service)
		}
		return w.admin
	})
	good := strings.ReplaceAll(string(unitsCSV(5)), ",P1,", ","+w.policy+",")
	rec := upload(t, h, "units", "units.csv", []byte(good))
	var rep importer.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); rec.Code != http.StatusOK || err != nil || !rep.Applied || rep.Created != 5 {
		t.Fatalf("upload = %d %s, want 200 with 5 created", rec.Code, rec.Body)
	}
	bad := "序列号,型号,保修政策,销售日期\nB 1,M1," + w.policy + ",2026-13-01\n"
	rec = upload(t, h, "售出产品档案", "bad.csv", []byte(bad))
	rep = importer.Report{}
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); rec.Code != http.StatusOK || err != nil || rep.Applied || len(rep.Rejected) != 2 ||
		rep.Rejected[0].Column == "" || rep.Rejected[0].ReasonZH == "" {
		t.Fatalf("upload(bad) = %d %s, want 200, not applied, serial and 销售日期 rejected", rec.Code, rec.Body)
	}
	rec = upload(t, h, "units", "x.csv", []byte("serial,colour\n"))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "colour") || !strings.Contains(rec.Body.String(), "未知的列") {
		t.Fatalf("upload(unknown column) = %d %s, want 400 naming colour", rec.Code, rec.Body)
	}
	rec = upload(t, h, "gadgets", "x.csv", []byte("a\n"))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("upload(unknown kind) = %d %s, want 400", rec.Code, rec.Body)
	}
}

// TestHandlerUploadPolicies: the console's upload of policies, as a sheet and as JSON lines.
func TestHandlerUploadPolicies(t *testing.T) {
	w := start(t)
	h := importer.Handler(func(string) grpc.ClientConnInterface { return w.admin })
	rec := upload(t, h, "policies", "policies.csv", []byte(policiesCSV))
	var rep importer.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); rec.Code != http.StatusOK || err != nil || !rep.Applied || rep.Created != 3 {
		t.Fatalf("upload(policies.csv) = %d %s, want 200 with 3 created", rec.Code, rec.Body)
	}
	rec = upload(t, h, "三包政策", "policies.jsonl", []byte(`{"name":"J","freeRepair":{"options":[{"start":"DATE_KIND_SALE","length":{"months":12}}]}}`+"\n{\"name\":\"K\"}\n"))
	rep = importer.Report{}
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); rec.Code != http.StatusOK || err != nil || rep.Applied || len(rep.Rejected) == 0 || rep.Rejected[0].Line != 2 || rep.Rejected[0].ReasonZH == "" {
		t.Fatalf("upload(policies.jsonl, line 2 without a free-repair period) = %d %s, want 200, not applied, line 2 rejected", rec.Code, rec.Body)
	}
}
