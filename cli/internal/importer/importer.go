// Package importer loads reference data in bulk (`sanbao import` and the console's upload): it
// reads CSV or XLSX files with a header row, turns each row into the owning service's record,
// streams them to its Import<Kind>s RPC, and reports what became of every row.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// Column is one documented column of a kind's file.
type Column struct {
	Name     string   // English header, e.g. "serial"
	ZH       string   // Chinese header, e.g. "序列号"
	Aliases  []string // other accepted headers, e.g. "出厂编号"
	Path     string   // the record's field, e.g. "dates.sale"
	Required bool     // the header must be present (the service decides whether a cell may be empty)
	Doc      string   // what the column holds, for docs/import.md
	// Values maps words a file may write to the value the field takes ("三包件" → "WARRANTY").
	Values map[string]string
	// Parse, when set, reads the cell into the record instead of the generic field setter (a
	// cell that holds a structure, such as working hours).
	Parse func(record proto.Message, cell string) error
	// Whole marks a cell that holds the whole record (the line of a JSON-lines file): a header
	// with it needs none of the required columns.
	Whole bool
}

// Kind is something that can be imported: its columns and the service call that takes it.
type Kind struct {
	Name    string // "units"
	ZH      string // "售出产品档案"
	Service string // the owning service
	Key     string // the natural key that makes a re-import a no-op
	Update  string // what a row that differs from the stored record does
	Columns []Column
	// record returns an empty record; send streams rows to the service and returns its report.
	record func() proto.Message
	send   func(ctx context.Context, conn grpc.ClientConnInterface, opts *typev1.ImportOptions, rows []Row, sent func(int)) (*typev1.ImportReport, error)
}

// Row is one parsed row: its line and its record.
type Row struct {
	Line   int32
	Record proto.Message
}

// Kinds are the kinds `sanbao import` takes, by name.
func Kinds() []*Kind {
	return []*Kind{unitsKind(), policiesKind(), partsKind(), locationsKind(), stockKind(), techniciansKind()}
}

// Lookup returns the kind named name (English or Chinese), or an error listing the kinds.
func Lookup(name string) (*Kind, error) {
	var names []string
	for _, k := range Kinds() {
		if strings.EqualFold(k.Name, name) || k.ZH == name {
			return k, nil
		}
		names = append(names, k.Name)
	}
	return nil, fmt.Errorf("unknown kind %q: one of %s", name, strings.Join(names, ", "))
}

// HeaderError is a file whose header the kind cannot take: unknown or repeated columns, or
// required columns missing. Nothing is sent.
type HeaderError struct {
	Unknown, Repeated, Missing []string
}

func (e *HeaderError) Error() string {
	var parts []string
	if len(e.Unknown) > 0 {
		parts = append(parts, "unknown columns: "+strings.Join(e.Unknown, ", "))
	}
	if len(e.Repeated) > 0 {
		parts = append(parts, "repeated columns: "+strings.Join(e.Repeated, ", "))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "missing required columns: "+strings.Join(e.Missing, ", "))
	}
	return "header: " + strings.Join(parts, "; ")
}

// ZH is the error in Chinese.
func (e *HeaderError) ZH() string {
	var parts []string
	if len(e.Unknown) > 0 {
		parts = append(parts, "未知的列："+strings.Join(e.Unknown, "、"))
	}
	if len(e.Repeated) > 0 {
		parts = append(parts, "重复的列："+strings.Join(e.Repeated, "、"))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "缺少必需的列："+strings.Join(e.Missing, "、"))
	}
	return "表头：" + strings.Join(parts, "；")
}

// normal folds a header for matching: case, spaces, underscores and hyphens do not count.
func normal(h string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, h)
}

// columns maps the table's header to the kind's columns (nil for none).
func (k *Kind) columns(header []string) ([]*Column, error) {
	byName := map[string]*Column{}
	for i := range k.Columns {
		c := &k.Columns[i]
		for _, n := range append([]string{c.Name, c.ZH}, c.Aliases...) {
			byName[normal(n)] = c
		}
	}
	out := make([]*Column, len(header))
	herr := &HeaderError{}
	seen := map[*Column]bool{}
	for i, h := range header {
		c, ok := byName[normal(h)]
		switch {
		case !ok:
			herr.Unknown = append(herr.Unknown, h)
		case seen[c]:
			herr.Repeated = append(herr.Repeated, h)
		default:
			seen[c] = true
			out[i] = c
		}
	}
	whole := false
	for c := range seen {
		whole = whole || c.Whole
	}
	for i := range k.Columns {
		if c := &k.Columns[i]; c.Required && !seen[c] && !whole {
			herr.Missing = append(herr.Missing, c.Name+" ("+c.ZH+")")
		}
	}
	if len(herr.Unknown)+len(herr.Repeated)+len(herr.Missing) > 0 {
		return nil, herr
	}
	return out, nil
}

// Parse turns a table into records. A cell that cannot be read (a date that is no date, a
// number that is none) is rejected with its line and field; its row is still sent with that
// field unset, so that the service reports the row's other faults too.
func (k *Kind) Parse(t *Table) ([]Row, []*typev1.ImportRejection, error) {
	cols, err := k.columns(t.Header)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]Row, 0, len(t.Rows))
	var rejected []*typev1.ImportRejection
	for _, rec := range t.Rows {
		m := k.record()
		for i, cell := range rec.Cells {
			cell = strings.TrimSpace(cell)
			if i >= len(cols) {
				if cell != "" {
					rejected = append(rejected, &typev1.ImportRejection{Line: rec.Line, Field: "", Reason: fmt.Sprintf("cell %d is beyond the header's %d columns", i+1, len(cols))})
				}
				continue
			}
			if cell == "" {
				continue
			}
			if v, ok := cols[i].Values[cell]; ok {
				cell = v
			}
			parse := cols[i].Parse
			if parse == nil {
				path := cols[i].Path
				parse = func(m proto.Message, cell string) error { return set(m, path, cell) }
			}
			if err := parse(m, cell); err != nil {
				rejected = append(rejected, &typev1.ImportRejection{Line: rec.Line, Field: cols[i].Path, Reason: err.Error()})
			}
		}
		rows = append(rows, Row{Line: rec.Line, Record: m})
	}
	return rows, rejected, nil
}

// merge adds the parser's rejections to the service's, dropping what the service said of a
// field the parser already rejected (it saw the field unset).
func merge(service, parsed []*typev1.ImportRejection) []*typev1.ImportRejection {
	type key struct {
		line  int32
		field string
	}
	bad := map[key]bool{}
	for _, p := range parsed {
		bad[key{p.GetLine(), p.GetField()}] = true
	}
	out := append([]*typev1.ImportRejection{}, parsed...)
	for _, r := range service {
		f, dup := r.GetField(), false
		for f != "" && !dup {
			dup = bad[key{r.GetLine(), f}]
			if i := strings.LastIndexByte(f, '.'); i >= 0 {
				f = f[:i]
			} else {
				f = ""
			}
		}
		if !dup {
			out = append(out, r)
		}
	}
	return out
}

// Options tune Import.
type Options struct {
	// ValidateOnly checks every row and reports, changing nothing.
	ValidateOnly bool
	// Sent is told how many rows have been sent so far (for a progress bar); may be nil.
	Sent func(sent, total int)
}

// Import parses a table and imports it through conn (a connection to the owning service, with
// the admin's credentials). When any row is rejected, by the parser or by the service, nothing
// is imported and the report lists every rejection.
func (k *Kind) Import(ctx context.Context, conn grpc.ClientConnInterface, t *Table, o Options) (*Report, error) {
	rows, rejected, err := k.Parse(t)
	if err != nil {
		return nil, err
	}
	opts := &typev1.ImportOptions{ValidateOnly: o.ValidateOnly || len(rejected) > 0}
	total := len(t.Rows)
	sent := func(n int) {
		if o.Sent != nil {
			o.Sent(n, total)
		}
	}
	rep, err := k.send(ctx, conn, opts, rows, sent)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", k.Name, err)
	}
	rep.Rejected = merge(rep.GetRejected(), rejected)
	if len(rejected) > 0 {
		rep.Applied = false
	}
	return k.report(t.Header, rep, o.ValidateOnly), nil
}

// ChunkRows and ChunkBytes bound one message of an import stream (the service takes at most
// 1000 rows a message, and a message within rpc.Limits' default 4 MiB).
const (
	ChunkRows  = 500
	ChunkBytes = 1 << 20
)

// stream sends rows in chunks: chunk builds one message (opts on the first only), send sends it,
// and done closes the stream and returns the report.
func stream[R proto.Message](rows []Row, opts *typev1.ImportOptions, sent func(int),
	chunk func(opts *typev1.ImportOptions, rows []Row) R, send func(R) error, done func() (*typev1.ImportReport, error)) (*typev1.ImportReport, error) {
	first := true
	for start := 0; start < len(rows) || first; {
		end, size := start, 0
		for end < len(rows) && end-start < ChunkRows && (end == start || size+proto.Size(rows[end].Record) < ChunkBytes) {
			size += proto.Size(rows[end].Record) + 16
			end++
		}
		o := opts
		if !first {
			o = nil
		}
		if err := send(chunk(o, rows[start:end])); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server ended the stream: its status comes from done
			}
			return nil, err
		}
		first = false
		start = end
		sent(end)
	}
	return done()
}

// Report is what became of an imported file, with fields named by the file's columns.
type Report struct {
	Kind         string      `json:"kind"`
	ValidateOnly bool        `json:"validate_only"`
	Applied      bool        `json:"applied"`
	Received     int32       `json:"received"`
	Created      int32       `json:"created"`
	Updated      int32       `json:"updated"`
	Unchanged    int32       `json:"unchanged"`
	Rejected     []Rejection `json:"rejected"`
}

// Rejection is one reason a row was rejected, in English and Chinese.
type Rejection struct {
	Line     int32  `json:"line"`
	Column   string `json:"column"` // the header as the file wrote it ("" when the row as a whole)
	Field    string `json:"field"`  // the record's field
	Reason   string `json:"reason"`
	ReasonZH string `json:"reason_zh"`
}

func (k *Kind) report(header []string, r *typev1.ImportReport, validateOnly bool) *Report {
	cols, _ := k.columns(header)
	column := map[string]string{}
	for i, c := range cols {
		if c != nil {
			column[c.Path] = header[i]
		}
	}
	out := &Report{Kind: k.Name, ValidateOnly: validateOnly, Applied: r.GetApplied(), Received: r.GetReceived(), Created: r.GetCreated(),
		Updated: r.GetUpdated(), Unchanged: r.GetUnchanged(), Rejected: []Rejection{}}
	for _, j := range r.GetRejected() {
		col := column[j.GetField()]
		for p, h := range column {
			// A rule deeper than a column's field ("policy.free_repair.options[0].length") is the column's.
			if col == "" && p != "" && (strings.HasPrefix(j.GetField(), p+".") || strings.HasPrefix(j.GetField(), p+"[")) {
				col = h
			}
		}
		if col == "" {
			// A rule about a message names its field ("dates", "customer"): the column under it.
			for p, h := range column {
				if j.GetField() != "" && strings.HasPrefix(p, j.GetField()+".") {
					col = h
					break
				}
			}
		}
		out.Rejected = append(out.Rejected, Rejection{Line: j.GetLine(), Column: col, Field: j.GetField(), Reason: j.GetReason(), ReasonZH: zh(j.GetReason())})
	}
	sort.SliceStable(out.Rejected, func(a, b int) bool { return out.Rejected[a].Line < out.Rejected[b].Line })
	return out
}

// Lines are the report as text a person reads, one rejection a line, in lang ("zh" or "en").
func (r *Report) Lines(lang string) []string {
	var out []string
	zhs := lang == "zh"
	for _, j := range r.Rejected {
		where := j.Column
		if where == "" {
			where = j.Field
		}
		if zhs {
			out = append(out, fmt.Sprintf("第 %d 行 %s：%s", j.Line, where, j.ReasonZH))
		} else {
			out = append(out, fmt.Sprintf("line %d %s: %s", j.Line, where, j.Reason))
		}
	}
	verb := "imported"
	switch {
	case r.ValidateOnly && len(r.Rejected) == 0:
		verb = "checked, nothing changed (validate only)"
	case !r.Applied:
		verb = "NOT imported: fix the rejected rows and run it again; nothing was changed"
	}
	if zhs {
		verb = map[bool]string{true: "已导入", false: "未导入：请修正被拒绝的行后重新导入，未做任何更改"}[r.Applied]
		if r.ValidateOnly && len(r.Rejected) == 0 {
			verb = "已检查，未做更改（仅校验）"
		}
		would := map[bool]string{true: "", false: "（未执行）"}[r.Applied]
		out = append(out, fmt.Sprintf("%s：共 %d 行，新建 %d，更新 %d，未变 %d%s，拒绝 %d 行 — %s", r.Kind, r.Received, r.Created, r.Updated, r.Unchanged, would, r.rejectedRows(), verb))
	} else {
		would := map[bool]string{true: "", false: " (had it been applied)"}[r.Applied]
		out = append(out, fmt.Sprintf("%s: %d rows, %d created, %d updated, %d unchanged%s, %d rejected — %s", r.Kind, r.Received, r.Created, r.Updated, r.Unchanged, would, r.rejectedRows(), verb))
	}
	return out
}

func (r *Report) rejectedRows() int {
	var lines []int32
	for _, j := range r.Rejected {
		lines = append(lines, j.Line)
	}
	slices.Sort(lines)
	return len(slices.Compact(lines))
}
