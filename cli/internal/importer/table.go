package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Table is a file's header and rows, each with its line (the header is line 1).
type Table struct {
	Header []string
	Rows   []Record
}

// Record is one row of a table.
type Record struct {
	Line  int32
	Cells []string
}

// MaxFileBytes is the largest file Read takes.
const MaxFileBytes = 64 << 20

// Read reads a CSV or XLSX file (by its name's extension; anything but .xlsx, .jsonl and
// .ndjson is CSV). CSV may be UTF-8 (with or without a byte-order mark) or GB18030, as Excel in
// China saves it; XLSX is read from its first sheet. Blank rows are skipped. A JSON-lines file
// (.jsonl, .ndjson: one record in JSON a line, for kinds whose records a row cannot hold) is a
// table of one column, "json", with no header line: its lines count from 1.
func Read(name string, r io.Reader) (*Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("read %s: larger than %d MiB; split the file", name, MaxFileBytes>>20)
	}
	var rows [][]string
	if ext := strings.ToLower(filepath.Ext(name)); ext == ".jsonl" || ext == ".ndjson" {
		return readJSONLines(data), nil
	}
	if strings.EqualFold(filepath.Ext(name), ".xlsx") {
		rows, err = readXLSX(data)
	} else {
		rows, err = readCSV(data)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	t := &Table{}
	for i, row := range rows {
		if blank(row) {
			continue
		}
		if t.Header == nil {
			for _, h := range row {
				t.Header = append(t.Header, strings.TrimSpace(h))
			}
			continue
		}
		t.Rows = append(t.Rows, Record{Line: int32(i + 1), Cells: row})
	}
	if t.Header == nil {
		return nil, fmt.Errorf("read %s: no header row", name)
	}
	return t, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// readCSV decodes UTF-8 (a BOM is dropped) or, when the bytes are not UTF-8, GB18030.
func readCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("neither UTF-8 nor GB18030: %w", err)
		}
		data = dec
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var rows [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, rec)
	}
}

// readXLSX reads the first sheet with raw cell values (dates as Excel serial numbers, which
// parseDate takes).
func readXLSX(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("no sheet")
	}
	return f.GetRows(sheets[0])
}

// readJSONLines makes a JSON-lines file a table of one column "json" (blank lines skipped).
func readJSONLines(data []byte) *Table {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	t := &Table{Header: []string{"json"}}
	for i, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			t.Rows = append(t.Rows, Record{Line: int32(i + 1), Cells: []string{line}})
		}
	}
	return t
}
