package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"buf.build/go/protovalidate"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// Full method names of the attachment API (the policy table's keys).
const (
	methodUpload   = "/sanbao.ticket.v1.AttachmentService/UploadAttachment"
	methodGet      = "/sanbao.ticket.v1.AttachmentService/GetAttachment"
	methodList     = "/sanbao.ticket.v1.AttachmentService/ListAttachments"
	methodDownload = "/sanbao.ticket.v1.AttachmentService/DownloadAttachment"
	methodDelete   = "/sanbao.ticket.v1.AttachmentService/DeleteAttachment"
)

// downloadChunk is the size of a download message.
const downloadChunk = 256 << 10

// Attachments implements ticketv1.AttachmentServiceServer over a content store.
type Attachments struct {
	ticketv1.UnimplementedAttachmentServiceServer
	s     *Server
	blobs blob.Store
	rules domain.AttachmentRules
	v     protovalidate.Validator
}

var _ ticketv1.AttachmentServiceServer = (*Attachments)(nil)

// NewAttachments returns the attachment API of s under rules; it serves once Use has given it
// a content store and s has started.
func NewAttachments(s *Server, rules domain.AttachmentRules) (*Attachments, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	s.attachments = rules
	return &Attachments{s: s, rules: rules, v: v}, nil
}

// Use sets the content store; call it before the server's Start (which then also keeps closed
// tickets' attachments for the rules' retention).
func (a *Attachments) Use(blobs blob.Store) {
	a.blobs = blobs
	a.s.blobs = blobs
}

var errNotStarted = rpc.Errorf(codes.Unavailable, "the service is starting; retry")

// errHidden is what a caller is told about an attachment or ticket it may not reach.
var errHidden = rpc.Errorf(codes.NotFound, "not found")

// reach reports whether the caller of method may reach attachments of ticket t (of job jobID
// when set): a dealer its organisation's tickets, a technician the tickets with a job of
// theirs (that job, when the attachment names one), a customer the tickets of its unit. A call without a caller is the service's
// own (or an --insecure server's).
func reach(ctx context.Context, method string, t *ticketv1.Ticket, jobID string) bool {
	c := auth.FromContext(ctx)
	if c == nil {
		return true
	}
	_, scopes, err := auth.Authorize(c, method)
	if err != nil {
		return false
	}
	for _, sc := range scopes {
		switch sc {
		case auth.ScopeOrg:
			if c.Org == "" || t.GetOrganisationId() != c.Org {
				return false
			}
		case auth.ScopeOwnJobs:
			if c.TechnicianID == "" || !slices.ContainsFunc(t.GetJobs(), func(j *ticketv1.Job) bool {
				return j.GetTechnicianId() == c.TechnicianID && (jobID == "" || j.GetJobId() == jobID)
			}) {
				return false
			}
		case auth.ScopeOwnUnit: // a customer: its unit's tickets, not a job's evidence
			if c.UnitSerial == "" || t.GetUnit().GetSerial() != c.UnitSerial || jobID != "" {
				return false
			}
		}
	}
	return true
}

// chunks reads an upload's chunks as one stream of bytes.
type chunks struct {
	stream grpc.ClientStreamingServer[ticketv1.UploadAttachmentRequest, ticketv1.UploadAttachmentResponse]
	v      protovalidate.Validator
	buf    []byte
}

func (c *chunks) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		m, err := c.stream.Recv()
		if err != nil {
			return 0, err // io.EOF at the end
		}
		if err := rpc.Validate(c.v, m); err != nil {
			return 0, err
		}
		if m.GetHeader() != nil {
			return 0, rpc.FieldError("header", "only the first message is a header; the rest are chunks")
		}
		c.buf = m.GetChunk()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// sniffer decides the content type from the first domain.SniffLen bytes before letting any
// through, so refused content never reaches the store whole.
type sniffer struct {
	r    io.Reader
	kind domain.AttachmentKind
	head []byte
	done bool
	ct   string
	err  error
}

func (s *sniffer) Read(p []byte) (int, error) {
	if !s.done {
		buf := make([]byte, domain.SniffLen)
		n, err := io.ReadFull(s.r, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, err
		}
		s.head, s.done = buf[:n], true
		if s.ct, s.err = domain.SniffType(s.kind, s.head, "chunk"); s.err != nil {
			return 0, s.err
		}
	}
	if len(s.head) > 0 {
		n := copy(p, s.head)
		s.head = s.head[n:]
		return n, nil
	}
	return s.r.Read(p)
}

// UploadAttachment implements ticketv1.AttachmentServiceServer.
func (a *Attachments) UploadAttachment(stream grpc.ClientStreamingServer[ticketv1.UploadAttachmentRequest, ticketv1.UploadAttachmentResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		return rpc.FieldError("header", "the first message must be the header: %v", err)
	}
	if err := rpc.Validate(a.v, first); err != nil {
		return err
	}
	if first.GetHeader() == nil {
		return rpc.FieldError("header", "the first message must be the header")
	}
	rec, err := a.Upload(stream.Context(), first.GetHeader(), &chunks{stream: stream, v: a.v})
	if err != nil {
		return err
	}
	return stream.SendAndClose(&ticketv1.UploadAttachmentResponse{Attachment: rec})
}

// Upload stores one attachment described by h (validated) with the bytes of body, for the
// caller in ctx: bytes first (to the content store under a new id), then the record and its
// event in one transaction; bytes whose record was never written are removed at once, or by
// the sweeper after a crash. A replayed request_id returns the first upload without reading
// body. Errors are gRPC statuses (the HTTP face maps them).
func (a *Attachments) Upload(ctx context.Context, h *ticketv1.AttachmentUpload, body io.Reader) (*ticketv1.Attachment, error) {
	if a.s.p == nil || a.blobs == nil {
		return nil, errNotStarted
	}
	t, err := a.s.read(h.GetTicketId())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errHidden
	} else if err != nil {
		return nil, toStatus(err)
	}
	if !reach(ctx, methodUpload, t, h.GetJobId()) {
		return nil, errHidden
	}
	if k := h.GetKind(); auth.FromContext(ctx).Has(auth.RoleCustomer) &&
		k != ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO && k != ticketv1.AttachmentKind_ATTACHMENT_KIND_VIDEO {
		return nil, rpc.FieldError("header.kind", "a customer attaches photos or a short video only")
	}
	if h.GetJobId() != "" && !slices.ContainsFunc(t.GetJobs(), func(j *ticketv1.Job) bool { return j.GetJobId() == h.GetJobId() }) {
		return nil, rpc.Errorf(codes.NotFound, "job %q is not a job of ticket %s", h.GetJobId(), t.GetNumber())
	}
	resp := &ticketv1.UploadAttachmentResponse{}
	if h.GetRequestId() != "" {
		var found bool
		if err := a.s.p.DB.View(func(tx *bbolt.Tx) (err error) {
			found, err = idem.Lookup(tx, "UploadAttachment", h.GetRequestId(), h, resp)
			return err
		}); err != nil {
			return nil, toStatus(err)
		}
		if found { // a replay: the first upload stands, the bytes sent again are not read
			return resp.GetAttachment(), nil
		}
	}
	kind := domain.AttachmentKind(h.GetKind())
	id := ids.NewAt(a.s.p.Clock.Now())
	sn := &sniffer{r: body, kind: kind}
	info, err := a.blobs.Put(ctx, id, sn, a.rules.Limit(kind))
	switch {
	case sn.err != nil:
		return nil, toStatus(sn.err)
	case errors.Is(err, blob.ErrTooLarge):
		return nil, rpc.FieldError("chunk", "a %s may be at most %d bytes", kind, a.rules.Limit(kind))
	case err != nil:
		if s, ok := rpcStatus(err); ok {
			return nil, s
		}
		return nil, rpc.Internal(fmt.Errorf("store bytes: %w", err))
	}
	if sn.ct == "" { // an empty upload: nothing to sniff
		a.drop(ctx, id)
		_, err := domain.SniffType(kind, nil, "chunk")
		return nil, toStatus(err)
	}
	if h.GetSha256() != "" && h.GetSha256() != info.SHA256 {
		a.drop(ctx, id)
		return nil, rpc.FieldError("header.sha256", "the bytes received have SHA-256 %s, not the declared %s", info.SHA256, h.GetSha256())
	}
	now := a.s.p.Clock.Now()
	rec := &ticketv1.Attachment{Id: id, TicketId: t.GetId(), JobId: h.GetJobId(), Kind: h.GetKind(), ContentType: sn.ct,
		Size: info.Size, Sha256: info.SHA256, UploadedBy: auth.Actor(ctx, "anonymous"), CreateTime: ts(now),
		Filename: h.GetFilename(), OrganisationId: t.GetOrganisationId()}
	for _, j := range t.GetJobs() {
		if h.GetJobId() != "" && j.GetJobId() == h.GetJobId() {
			rec.TechnicianId = j.GetTechnicianId()
		}
	}
	replayed := false
	err = a.s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		replayed = false
		if found, err := idem.Lookup(tx, "UploadAttachment", h.GetRequestId(), h, resp); found || err != nil {
			replayed = found
			return err
		}
		existing, err := store.ListAttachments(tx, t.GetId())
		if err != nil {
			return err
		}
		if len(existing) >= store.MaxAttachmentsPerTicket {
			return rpc.Errorf(codes.FailedPrecondition, "ticket %s already has %d attachments, the most a ticket may have", t.GetNumber(), len(existing))
		}
		if err := store.PutAttachment(tx, rec); err != nil {
			return err
		}
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectAttachmentAdded, Resource: "tickets/" + t.GetId(),
			Data: &ticketv1.AttachmentAdded{Id: id, TicketId: t.GetId(), JobId: rec.GetJobId(), Kind: rec.GetKind(),
				ContentType: rec.GetContentType(), Size: rec.GetSize(), Sha256: rec.GetSha256(), CreateTime: rec.GetCreateTime()},
			Time: now}); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
		resp.Attachment = rec
		return idem.Save(tx, "UploadAttachment", h.GetRequestId(), h, resp, now)
	})
	if err != nil || replayed {
		a.drop(ctx, id)
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return resp.GetAttachment(), nil
}

// rpcStatus returns the gRPC status inside err (a chunk's validation error, a cancelled call).
func rpcStatus(err error) (error, bool) {
	var st interface {
		error
		GRPCStatus() *status.Status
	}
	if errors.As(err, &st) {
		return st, true
	}
	return nil, false
}

// drop removes bytes no record names (after a refused or replayed upload); a failure is left
// to the sweeper.
func (a *Attachments) drop(ctx context.Context, id string) {
	if err := a.blobs.Delete(context.WithoutCancel(ctx), id); err != nil {
		a.s.p.Log.Warn("remove unreferenced attachment bytes; the sweeper will", zap.String("attachment_id", id), zap.Error(err))
	}
}

// get reads an attachment and its ticket and checks the caller may reach them.
func (a *Attachments) get(ctx context.Context, method, id string) (*ticketv1.Attachment, error) {
	if a.s.p == nil {
		return nil, errNotStarted
	}
	var rec *ticketv1.Attachment
	var t *ticketv1.Ticket
	err := a.s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		if rec, err = store.GetAttachment(tx, id); err != nil {
			return err
		}
		t, err = store.GetTicket(tx, rec.GetTicketId())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errHidden
	} else if err != nil {
		return nil, toStatus(err)
	}
	if !reach(ctx, method, t, rec.GetJobId()) {
		return nil, errHidden
	}
	return rec, nil
}

// GetAttachment implements ticketv1.AttachmentServiceServer.
func (a *Attachments) GetAttachment(ctx context.Context, req *ticketv1.GetAttachmentRequest) (*ticketv1.GetAttachmentResponse, error) {
	rec, err := a.get(ctx, methodGet, req.GetId())
	if err != nil {
		return nil, err
	}
	return &ticketv1.GetAttachmentResponse{Attachment: rec}, nil
}

// ListAttachments implements ticketv1.AttachmentServiceServer.
func (a *Attachments) ListAttachments(ctx context.Context, req *ticketv1.ListAttachmentsRequest) (*ticketv1.ListAttachmentsResponse, error) {
	var list []*ticketv1.Attachment
	var t *ticketv1.Ticket
	err := a.s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		if t, err = store.GetTicket(tx, req.GetTicketId()); err != nil {
			return err
		}
		list, err = store.ListAttachments(tx, t.GetId())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errHidden
	} else if err != nil {
		return nil, toStatus(err)
	}
	if !reach(ctx, methodList, t, req.GetJobId()) {
		return nil, errHidden
	}
	resp := &ticketv1.ListAttachmentsResponse{}
	for _, rec := range list {
		if req.GetJobId() == "" || rec.GetJobId() == req.GetJobId() {
			resp.Attachments = append(resp.Attachments, rec)
		}
	}
	return resp, nil
}

// Open returns an attachment's record and bytes for a caller allowed to download it (the HTTP
// face uses it too). The caller closes the reader.
func (a *Attachments) Open(ctx context.Context, id string) (*ticketv1.Attachment, io.ReadCloser, error) {
	rec, err := a.get(ctx, methodDownload, id)
	if err != nil {
		return nil, nil, err
	}
	rc, _, err := a.blobs.Get(ctx, rec.GetId())
	if errors.Is(err, blob.ErrNotFound) {
		a.s.p.Log.Error("attachment bytes missing", zap.String("attachment_id", id))
		return nil, nil, rpc.Errorf(codes.DataLoss, "the bytes of attachment %s are missing from the content store", id)
	} else if err != nil {
		return nil, nil, rpc.Errorf(codes.Unavailable, "content store: retry later")
	}
	return rec, rc, nil
}

// DownloadAttachment implements ticketv1.AttachmentServiceServer.
func (a *Attachments) DownloadAttachment(req *ticketv1.DownloadAttachmentRequest, stream grpc.ServerStreamingServer[ticketv1.DownloadAttachmentResponse]) error {
	if err := rpc.Validate(a.v, req); err != nil {
		return err
	}
	rec, rc, err := a.Open(stream.Context(), req.GetId())
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := stream.Send(&ticketv1.DownloadAttachmentResponse{Part: &ticketv1.DownloadAttachmentResponse_Attachment{Attachment: rec}}); err != nil {
		return err
	}
	buf := make([]byte, downloadChunk)
	for {
		n, err := io.ReadFull(rc, buf)
		if n > 0 {
			if err := stream.Send(&ticketv1.DownloadAttachmentResponse{Part: &ticketv1.DownloadAttachmentResponse_Chunk{Chunk: buf[:n]}}); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return rpc.Errorf(codes.Unavailable, "content store: %v", err)
		}
	}
}

// DeleteAttachment implements ticketv1.AttachmentServiceServer.
func (a *Attachments) DeleteAttachment(ctx context.Context, req *ticketv1.DeleteAttachmentRequest) (*ticketv1.DeleteAttachmentResponse, error) {
	resp := &ticketv1.DeleteAttachmentResponse{}
	removed := false
	err := a.s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		removed = false
		if found, err := idem.Lookup(tx, "DeleteAttachment", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := a.s.p.Clock.Now()
		rec, err := store.GetAttachment(tx, req.GetId())
		if errors.Is(err, store.ErrNotFound) {
			return idem.Save(tx, "DeleteAttachment", req.GetRequestId(), req, resp, now) // already gone
		} else if err != nil {
			return err
		}
		if err := removeAttachment(tx, rec, "deleted", now); err != nil {
			return err
		}
		removed = true
		return idem.Save(tx, "DeleteAttachment", req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if removed {
		a.drop(ctx, req.GetId())
	}
	return resp, nil
}

// removeAttachment deletes a record and publishes attachment.removed; the caller removes the
// bytes after the commit.
func removeAttachment(tx *bbolt.Tx, rec *ticketv1.Attachment, reason string, now time.Time) error {
	if err := store.DeleteAttachment(tx, rec); err != nil {
		return err
	}
	if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectAttachmentRemoved, Resource: "tickets/" + rec.GetTicketId(),
		Data: &ticketv1.AttachmentRemoved{Id: rec.GetId(), TicketId: rec.GetTicketId(), Reason: reason, RemoveTime: ts(now)},
		Time: now}); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// keepAttachments schedules or cancels the retention of a ticket's attachments when it ends
// (closed, cancelled) or comes back (reopened): part of every ticket change's transaction.
func (s *Server) keepAttachments(tx *bbolt.Tx, old, t *ticketv1.Ticket, now time.Time) error {
	if s.blobs == nil {
		return nil
	}
	ended := func(x *ticketv1.Ticket) bool {
		st := x.GetState()
		return st == ticketv1.TicketState_TICKET_STATE_CLOSED || st == ticketv1.TicketState_TICKET_STATE_CANCELLED
	}
	switch {
	case ended(t) && (old == nil || !ended(old)):
		return timer.Schedule(tx, timerRetention, t.GetId(), now.Add(s.attachments.Retention), nil)
	case !ended(t) && old != nil && ended(old):
		return timer.Cancel(tx, timerRetention, t.GetId())
	}
	return nil
}

// retain is the retention timer: it removes an ended ticket's attachments (records and
// events in one transaction, then the bytes).
func (s *Server) retain(ctx context.Context, tm timer.Timer) error {
	var gone []string
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		gone = gone[:0]
		list, err := store.ListAttachments(tx, tm.Key)
		if err != nil {
			return err
		}
		now := s.p.Clock.Now()
		for _, rec := range list {
			if err := removeAttachment(tx, rec, "retention", now); err != nil {
				return err
			}
			gone = append(gone, rec.GetId())
		}
		if len(list) == store.MaxAttachmentsPerTicket { // more than one page: run again
			return timer.Schedule(tx, timerRetention, tm.Key, now, nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range gone {
		if err := s.blobs.Delete(ctx, id); err != nil {
			s.p.Log.Warn("remove retained attachment bytes; the sweeper will", zap.String("attachment_id", id), zap.Error(err))
		}
	}
	return nil
}

// Sweep removes bytes that no record names and that are older than grace at now (a crash
// between writing the bytes and committing the record, or a failed removal). It returns how
// many it removed.
func (a *Attachments) Sweep(ctx context.Context, now time.Time, grace time.Duration) (int, error) {
	var orphans []string
	err := a.blobs.List(ctx, func(i blob.Info) error {
		if now.Sub(i.Modified) < grace {
			return nil
		}
		return a.s.p.DB.View(func(tx *bbolt.Tx) error {
			if !store.HasAttachment(tx, i.Key) {
				orphans = append(orphans, i.Key)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	n := 0
	for _, id := range orphans {
		if err := a.blobs.Delete(ctx, id); err != nil {
			return n, fmt.Errorf("sweep: %w", err)
		}
		n++
	}
	return n, nil
}

// SweepEvery runs Sweep on the wall clock (blob times are the file system's) every interval
// until ctx ends: a task of the service.
func (a *Attachments) SweepEvery(interval, grace time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tk.C:
				if n, err := a.Sweep(ctx, time.Now(), grace); err != nil {
					a.s.p.Log.Warn("attachment sweep", zap.Error(err))
				} else if n > 0 {
					a.s.p.Log.Info("attachment sweep removed unreferenced bytes", zap.Int("count", n))
				}
			}
		}
	}
}
