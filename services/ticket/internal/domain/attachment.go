package domain

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ErrAttachment is the sentinel of a refused attachment (type, size, checksum).
var ErrAttachment = errors.New("attachment refused")

// AttachmentKind is what an attachment shows. The numbers match sanbao.ticket.v1.AttachmentKind.
type AttachmentKind int

// The attachment kinds.
const (
	KindPhoto AttachmentKind = iota + 1
	KindVideo
	KindSignature
	KindDocument
)

// String names the kind.
func (k AttachmentKind) String() string {
	switch k {
	case KindPhoto:
		return "photo"
	case KindVideo:
		return "video"
	case KindSignature:
		return "signature"
	case KindDocument:
		return "document"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// AttachmentRules are the settings of attachments: the largest size of each kind and how long
// a closed or cancelled ticket's attachments are kept.
type AttachmentRules struct {
	// MaxPhoto, MaxVideo, MaxSignature, MaxDocument are byte limits per kind.
	MaxPhoto, MaxVideo, MaxSignature, MaxDocument int64
	// Retention is how long after the ticket is closed or cancelled its attachments are kept.
	Retention time.Duration
}

// DefaultAttachmentRules: photo 10 MiB, video 50 MiB, signature 1 MiB, document 10 MiB;
// kept three years after the ticket ends (the service records' keeping, seed 002).
func DefaultAttachmentRules() AttachmentRules {
	return AttachmentRules{MaxPhoto: 10 << 20, MaxVideo: 50 << 20, MaxSignature: 1 << 20, MaxDocument: 10 << 20,
		Retention: 3 * 365 * 24 * time.Hour}
}

// Limit is the largest size of kind k (0 for an unknown kind).
func (r AttachmentRules) Limit(k AttachmentKind) int64 {
	switch k {
	case KindPhoto:
		return r.MaxPhoto
	case KindVideo:
		return r.MaxVideo
	case KindSignature:
		return r.MaxSignature
	case KindDocument:
		return r.MaxDocument
	}
	return 0
}

// SniffLen is how many leading bytes SniffType needs (fewer only when the content is shorter).
const SniffLen = 512

// The content types attachments may have, by kind. Nothing a browser would run or render as a
// page (HTML, SVG, XML, scripts) is on any list.
var allowedTypes = map[AttachmentKind][]string{
	KindPhoto:     {"image/jpeg", "image/png", "image/webp"},
	KindSignature: {"image/png", "image/jpeg", "image/webp"},
	KindVideo:     {"video/mp4"},
	KindDocument:  {"application/pdf", "image/jpeg", "image/png", "image/webp"},
}

// SniffType decides an attachment's content type from its first bytes (the WHATWG sniffing
// algorithm of http.DetectContentType), whatever the client declared, and checks it against
// the kind's allow-list: a FieldError on field otherwise.
func SniffType(k AttachmentKind, head []byte, field string) (string, error) {
	ct, _, _ := strings.Cut(http.DetectContentType(head), ";")
	allowed, ok := allowedTypes[k]
	if !ok {
		return "", &FieldError{Field: field, Rule: "kind must be photo, video, signature or document", Err: ErrAttachment}
	}
	if !slices.Contains(allowed, ct) {
		return "", &FieldError{Field: field, Rule: fmt.Sprintf("the content is %s; a %s must be one of %s (decided from the bytes, not the declared type)",
			ct, k, strings.Join(allowed, ", ")), Err: ErrAttachment}
	}
	return ct, nil
}

// Inline reports whether a content type may be shown in the browser (images); everything else
// is served as a download.
func Inline(contentType string) bool { return strings.HasPrefix(contentType, "image/") }
