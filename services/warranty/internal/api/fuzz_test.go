package api

import (
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
)

// FuzzCreatePolicyInput: any policy a client can send converts and compiles without a panic
// (protovalidate rules are not applied here, so the domain sees the worst input).
func FuzzCreatePolicyInput(f *testing.F) {
	for _, tp := range domain.Templates() {
		b, err := protojson.Marshal(policyOut(tp.Policy))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"name":"x","freeRepair":{"options":[{"start":"DATE_KIND_SALE","length":{"months":-5}}]},"customConditions":[{"clause":"a","expression":"[1].map(x, x)","effect":1}]}`))
	f.Add([]byte(`{"calendar":{"timeZone":"../../etc/passwd","weekendDays":[9,-1]},"fees":{"labourPerHour":{"currencyCode":"EUR","amountMinor":"-9"}}}`))
	eng, err := domain.NewEngine()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &warrantyv1.Policy{}
		if protojson.Unmarshal(data, p) != nil {
			return
		}
		d, _ := policyIn(p)
		d.ID, d.Version = "p", 1
		cp, err := eng.Compile(d)
		if err != nil {
			return
		}
		_ = policyOut(cp.Policy())
		u := domain.Unit{ID: "u", Serial: "S", Model: "M", PolicyID: "p", PolicyVersion: 1, Dates: domain.UnitDates{Sale: cpDate()}}
		_, _ = domain.Evaluate(cp, u, nil, nil, domain.Claim{FaultCode: "F", Reported: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}, time.Time{})
	})
}

// FuzzEvaluateClaimInput: any claim a client can send converts and evaluates without a panic.
func FuzzEvaluateClaimInput(f *testing.F) {
	f.Add([]byte(`{"serial":"S","faultCode":"F","reportedTime":"2026-06-01T00:00:00Z","lines":[{"kind":"LINE_KIND_PART","partId":"P","quantity":"3","unitCost":{"amountMinor":"100"}}]}`))
	f.Add([]byte(`{"faultCode":"F","reportedTime":"0001-01-01T00:00:00Z","causes":[99],"lines":[{"kind":7,"labour":"-5s","travelKm":-1}]}`))
	eng, err := domain.NewEngine()
	if err != nil {
		f.Fatal(err)
	}
	tp, _ := domain.TemplateByName(domain.TemplateConsumer)
	pol := tp.Policy
	pol.ID, pol.Version = "p", 1
	cp, err := eng.Compile(pol)
	if err != nil {
		f.Fatal(err)
	}
	u := &warrantyv1.Unit{Id: "u", Serial: "S", Model: "M", PolicyId: "p", PolicyVersion: 1,
		Dates: &warrantyv1.UnitDates{Sale: dateOut(cpDate())}}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := &warrantyv1.EvaluateClaimRequest{}
		if protojson.Unmarshal(data, req) != nil {
			return
		}
		c, vs := claimIn(req, cp.Currency())
		if len(vs) > 0 {
			return
		}
		d, err := domain.Evaluate(cp, unitIn(u), nil, nil, c, time.Time{})
		if err != nil {
			return
		}
		_ = decisionOut(d, cp.Policy(), req, u)
	})
}

func cpDate() calendar.Date { return calendar.NewDate(2026, time.March, 2) }
