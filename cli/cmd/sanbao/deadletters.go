package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sanbao/sanbao/platform/daemon"
)

// adminPorts are the services' default loopback admin addresses (metrics port + 100).
var adminPorts = []struct{ name, addr string }{
	{"ticket", "127.0.0.1:9201"}, {"warranty", "127.0.0.1:9202"}, {"dispatch", "127.0.0.1:9203"}, {"inventory", "127.0.0.1:9204"},
}

// letter is the admin endpoint's JSON form of a dead letter.
type letter struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Owner      string    `json:"owner"`
	EventID    string    `json:"event_id"`
	Subject    string    `json:"subject"`
	Type       string    `json:"type"`
	Source     string    `json:"source"`
	Resource   string    `json:"resource"`
	Time       time.Time `json:"time"`
	Data       []byte    `json:"data"`
	Reason     string    `json:"reason"`
	ParkedAt   time.Time `json:"parked_at"`
	Deliveries int       `json:"deliveries"`
}

const deadLettersUsage = `usage: sanbao deadletters list [--kind outbox|consumer]
       sanbao deadletters show|retry|drop <id>
flags: --service ticket|warranty|dispatch|inventory (default: all four)
       --admin-addr host:port (one service's admin endpoint; default its loopback port)`

// deadLetters is `sanbao deadletters`: the client of the services' /deadletters admin endpoints.
func deadLetters(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(deadLettersUsage)
	}
	cmd := args[0]
	fs := flag.NewFlagSet("deadletters "+cmd, flag.ContinueOnError)
	var env daemon.Env
	service := fs.String("service", "", "only this service")
	addr := fs.String("admin-addr", env.String("SANBAO_ADMIN_ADDR", ""), "the service's admin address [SANBAO_ADMIN_ADDR]")
	kind := fs.String("kind", "", "list only outbox or consumer letters")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	targets := adminPorts
	if *service != "" || *addr != "" {
		targets = nil
		for _, t := range adminPorts {
			if t.name == *service || *service == "" {
				targets = append(targets, t)
			}
		}
		if *addr != "" {
			name := *service
			if name == "" {
				name = *addr
			}
			targets = []struct{ name, addr string }{{name, *addr}}
		}
		if len(targets) == 0 {
			return fmt.Errorf("unknown service %q", *service)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	switch cmd {
	case "list":
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tID\tKIND\tSUBJECT\tRESOURCE\tPARKED\tREASON")
		var failed []string
		for _, t := range targets {
			after := ""
			for {
				var page struct {
					Letters []letter `json:"letters"`
					Next    string   `json:"next"`
				}
				q := url.Values{"kind": {*kind}, "after": {after}, "limit": {"500"}}
				if err := call(ctx, client, http.MethodGet, "http://"+t.addr+"/deadletters?"+q.Encode(), &page); err != nil {
					failed = append(failed, fmt.Sprintf("%s: %v", t.name, err))
					break
				}
				for _, l := range page.Letters {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.name, l.ID, l.Kind, l.Subject, l.Resource,
						l.ParkedAt.Local().Format(time.DateTime), firstLine(l.Reason, 100))
				}
				if after = page.Next; after == "" {
					break
				}
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, f := range failed {
			fmt.Fprintln(out, "unreachable:", f)
		}
		if len(failed) == len(targets) {
			return errors.New("no service answered (is the suite running? --admin-addr)")
		}
		return nil
	case "show", "retry", "drop":
		if fs.NArg() != 1 {
			return errors.New(deadLettersUsage)
		}
		id := url.PathEscape(fs.Arg(0))
		method, path := http.MethodGet, "/deadletters/"+id
		switch cmd {
		case "retry":
			method, path = http.MethodPost, path+"/retry"
		case "drop":
			method = http.MethodDelete
		}
		var last error
		for _, t := range targets {
			var l letter
			var res map[string]string
			var into any = &res
			if cmd == "show" {
				into = &l
			}
			err := call(ctx, client, method, "http://"+t.addr+path, into)
			if errors.Is(err, errNotHere) {
				continue
			}
			if err != nil {
				last = fmt.Errorf("%s: %w", t.name, err)
				continue
			}
			if cmd == "show" {
				showLetter(out, t.name, l)
			} else {
				fmt.Fprintf(out, "%s: %s %s\n", t.name, fs.Arg(0), res["result"])
			}
			return nil
		}
		if last != nil {
			return last
		}
		return fmt.Errorf("no dead letter %q", fs.Arg(0))
	default:
		return errors.New(deadLettersUsage)
	}
}

var errNotHere = errors.New("not found")

func call(ctx context.Context, c *http.Client, method, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNotFound {
		return errNotHere
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, u, resp.Status)
	}
	return json.Unmarshal(body, into)
}

func showLetter(out io.Writer, service string, l letter) {
	fmt.Fprintf(out, "service     %s\nid          %s\nkind        %s (%s)\nevent       %s %s\nsubject     %s\nresource    %s\nsource      %s\ntime        %s\nparked      %s (after %d deliveries)\nreason      %s\n",
		service, l.ID, l.Kind, l.Owner, l.EventID, l.Type, l.Subject, l.Resource, l.Source, l.Time.Format(time.RFC3339),
		l.ParkedAt.Format(time.RFC3339), l.Deliveries, l.Reason)
	var pretty bytes.Buffer
	if json.Indent(&pretty, l.Data, "", "  ") == nil {
		if pretty.Len() > 8000 {
			fmt.Fprintf(out, "data        (%d bytes; first 8000)\n%s…\n", len(l.Data), pretty.Bytes()[:8000])
			return
		}
		fmt.Fprintf(out, "data\n%s\n", pretty.String())
		return
	}
	fmt.Fprintf(out, "data        %d bytes, not JSON: %q\n", len(l.Data), firstLine(string(l.Data), 200))
}

func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
