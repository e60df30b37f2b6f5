package importer

import (
	"fmt"
	"strings"
)

// Markdown is docs/import.md: every kind's columns, key and update rule.
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# Importing reference data (导入基础数据)

<!-- Generated from cli/internal/importer (Markdown); regenerate with
     SANBAO_UPDATE_DEPLOY=1 go test ./cli/internal/importer -run TestImportDoc -->

` + "`sanbao import KIND FILE`" + ` loads a CSV or XLSX file with a header row into the service that owns
the kind; the console's upload (` + "`importer.Handler`" + `: POST multipart ` + "`kind`" + `, ` + "`file`" + `,
` + "`validate_only`" + `) does the same and answers the report as JSON.

- **Files**: CSV in UTF-8 (with or without a byte-order mark, as Excel's "CSV UTF-8" writes
  it) or GB18030 (Excel's "CSV" on a Chinese Windows); XLSX from its first sheet (date cells are
  read as dates). Blank rows are skipped. Line numbers are the file's row numbers (the header
  is line 1). At most 100,000 rows and 64 MiB a file. Policies may also come as a JSON-lines
  file (` + "`.jsonl`" + `/` + "`.ndjson`" + `): one whole ` + "`Policy`" + ` in protojson a line, no header, lines
  counted from 1 — for what a sheet row cannot hold (custom conditions, exclusions, calendars).
- **Headers**: English or Chinese (or an alias below), in any order; case, spaces, ` + "`_`" + ` and
  ` + "`-`" + ` do not count. An unknown or repeated column is an error naming it, and so is a
  missing required column; nothing is sent then.
- **Values**: days as ` + "`2026-03-07`" + `, ` + "`2026/3/7`" + `, ` + "`2026年3月7日`" + ` or an Excel date;
  enums by name (` + "`WARRANTY`" + ` or ` + "`PART_KIND_WARRANTY`" + `); yes/no as ` + "`true`/`false`" + ` or
  ` + "`是`/`否`" + `; amounts in yuan (` + "`12.50`" + `); lists separated by ` + "`;`" + `.
- **All or nothing**: the service checks every row with the same rules as its single-record
  call and reports every rejected row with its line, column and reason (English and Chinese);
  when any row is rejected nothing is imported. Otherwise every row is applied in one
  transaction, with the same events the single call emits. A client that dies mid-file imports
  nothing. ` + "`--validate-only`" + ` checks and changes nothing.
- **Idempotent**: each row has a natural key; a row equal to the stored record is *unchanged*
  (no write, no event), so running the same file again changes nothing.
- **Who**: the admin role (` + "`docs/access.md`" + `); the report goes to the caller, the import to
  the service's log with the caller's subject.

`)
	for _, k := range Kinds() {
		fmt.Fprintf(&b, "## %s (%s) — %s service\n\n", k.Name, k.ZH, k.Service)
		fmt.Fprintf(&b, "Key: `%s`. A row that differs from the stored record: %s.\n\n", k.Key, k.Update)
		b.WriteString("| column | 中文 | also accepted | field | required | holds |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, c := range k.Columns {
			req := ""
			if c.Required {
				req = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s | %s |\n", c.Name, c.ZH, strings.Join(c.Aliases, ", "), c.Path, req, c.Doc)
		}
		b.WriteString("\n")
	}
	return b.String()
}
