package api

import (
	"time"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/calendar"
)

// dateIn converts an API date; nil is the zero (unknown) date. Out-of-range values stay
// invalid so the domain reports them.
func dateIn(d *typev1.Date) calendar.Date {
	if d == nil {
		return calendar.Date{}
	}
	return calendar.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
}

// dateOut converts a date; the zero date is nil.
func dateOut(d calendar.Date) *typev1.Date {
	if d == (calendar.Date{}) {
		return nil
	}
	return &typev1.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func datesOut(ds []calendar.Date) []*typev1.Date {
	out := make([]*typev1.Date, len(ds))
	for i, d := range ds {
		out[i] = dateOut(d)
	}
	return out
}

func datesIn(ds []*typev1.Date) []calendar.Date {
	out := make([]calendar.Date, len(ds))
	for i, d := range ds {
		out[i] = dateIn(d)
	}
	return out
}

func money(amount int64, currency string) *typev1.Money {
	return &typev1.Money{CurrencyCode: currency, AmountMinor: amount}
}
