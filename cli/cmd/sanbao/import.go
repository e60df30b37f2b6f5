package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sanbao/sanbao/cli/internal/creds"
	"github.com/sanbao/sanbao/cli/internal/importer"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
)

const importUsage = `usage: sanbao import KIND FILE [flags]

Loads reference data from a CSV (UTF-8, UTF-8 with BOM, or GB18030) or XLSX file with a header
row; English or Chinese headers, any column order (docs/import.md lists the columns). Policies
take a sheet row per policy (a template and the settings it changes) or a .jsonl file of whole
policies (one sanbao.warranty.v1.Policy in protojson a line). Every row
is checked first; when any row is rejected nothing is imported and every rejected row is listed
with its line, column and reason. Re-running the same file changes nothing.

Kinds:
`

// importCmd runs `sanbao import KIND FILE`.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, importUsage)
		for _, k := range importer.Kinds() {
			fmt.Fprintf(stdout, "  %-10s %s (%s service; key %s)\n", k.Name, k.ZH, k.Service, k.Key)
		}
		return nil
	}
	kind, err := importer.Lookup(args[0])
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("import "+kind.Name, flag.ContinueOnError)
	var env daemon.Env
	addrs := map[string]*string{
		"warranty":  fs.String("warranty-addr", env.String("SANBAO_WARRANTY_ADDR", "127.0.0.1:50052"), "warranty service address [SANBAO_WARRANTY_ADDR]"),
		"dispatch":  fs.String("dispatch-addr", env.String("SANBAO_DISPATCH_ADDR", "127.0.0.1:50053"), "dispatch service address [SANBAO_DISPATCH_ADDR]"),
		"inventory": fs.String("inventory-addr", env.String("SANBAO_INVENTORY_ADDR", "127.0.0.1:50054"), "inventory service address [SANBAO_INVENTORY_ADDR]"),
	}
	var cf creds.Flags
	cf.Register(fs, &env)
	validateOnly := fs.Bool("validate-only", false, "check every row and report; change nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	lang := fs.String("lang", env.String("SANBAO_LANG", defaultLang()), "language of the report: zh or en [SANBAO_LANG]")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long (nothing is imported then)")
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return fmt.Errorf("usage: sanbao import %s FILE [flags]", kind.Name)
	}
	file := args[1]
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	t, err := importer.Read(file, f)
	f.Close()
	if err != nil {
		return err
	}
	o, err := cf.Options()
	if err != nil {
		return err
	}
	conn, err := rpc.Dial(*addrs[kind.Service], o)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	prog := newProgress(stderr, len(t.Rows))
	start := time.Now()
	rep, err := kind.Import(ctx, conn, t, importer.Options{ValidateOnly: *validateOnly, Sent: prog.sent})
	prog.done()
	if err != nil {
		var herr *importer.HeaderError
		if errors.As(err, &herr) && *lang == "zh" {
			return errors.New(herr.ZH())
		}
		return err
	}
	elapsed := time.Since(start)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, l := range rep.Lines(*lang) {
			fmt.Fprintln(stdout, l)
		}
	}
	fmt.Fprintf(stderr, "%d rows in %v (%.0f rows/s)\n", len(t.Rows), elapsed.Round(time.Millisecond), float64(len(t.Rows))/elapsed.Seconds())
	if !rep.Applied && !*validateOnly || len(rep.Rejected) > 0 {
		return fmt.Errorf("%d rejections; nothing imported", len(rep.Rejected))
	}
	return nil
}

// defaultLang is zh when the locale says Chinese, else en.
func defaultLang() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(l, "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

// progress shows rows sent: a bar on a terminal, a plain line every tenth otherwise.
type progress struct {
	out   io.Writer
	total int
	bar   *progressbar.ProgressBar
	next  int
}

func newProgress(out io.Writer, total int) *progress {
	p := &progress{out: out, total: total}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) && total > 0 {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(out), progressbar.OptionSetDescription("sending rows"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(),
			progressbar.OptionEnableColorCodes(os.Getenv("NO_COLOR") == ""))
	}
	return p
}

func (p *progress) sent(n, total int) {
	if p.bar != nil {
		_ = p.bar.Set(n)
		return
	}
	if n >= p.next || n == total {
		fmt.Fprintf(p.out, "sent %d/%d rows\n", n, total)
		p.next = n + max(total/10, 1)
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
