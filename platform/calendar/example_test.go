package calendar_test

import (
	"fmt"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// A complaint must get a written answer within 10 working days (DOMAIN.md §2) on a service
// desk that works the 2025 National Day make-up days.
func ExampleCalendar_AddWorkingDays() {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	spec := calendar.FiveByEight(shanghai).Spec()
	for day := 1; day <= 8; day++ {
		spec.Holidays = append(spec.Holidays, calendar.NewDate(2025, time.October, day))
	}
	spec.ExtraWorkdays = []calendar.Date{
		calendar.NewDate(2025, time.September, 28),
		calendar.NewDate(2025, time.October, 11),
	}
	cal, err := calendar.New(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	received := calendar.NewDate(2025, time.September, 26)
	last, _ := cal.AddWorkingDays(received, 10)
	fmt.Println("answer by the end of", last)
	fmt.Println("deadline", last.AddDays(1).Time(shanghai).Format(time.RFC3339))
	// Output:
	// answer by the end of 2025-10-16
	// deadline 2025-10-17T00:00:00+08:00
}

// An SLA of 2 working hours that starts near closing time ends the next morning.
func ExampleCalendar_AddWorkingTime() {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	cal := calendar.Weekdays9to17(shanghai)
	start := time.Date(2026, time.November, 23, 16, 30, 0, 0, shanghai)
	due, _ := cal.AddWorkingTime(start, 2*time.Hour)
	fmt.Println(due.Format("Mon 2006-01-02 15:04"))
	// Output: Tue 2026-11-24 10:30
}

// The SLA clock of a ticket stops while it waits for the customer; the pause is still
// running. The remaining time then gives the new deadline.
func ExampleCalendar_WorkingTimeExcluding() {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	cal := calendar.Weekdays9to17(shanghai)
	opened := time.Date(2026, time.November, 23, 9, 0, 0, 0, shanghai)
	now := time.Date(2026, time.November, 24, 12, 0, 0, 0, shanghai)
	pauses := []calendar.Interval{
		{Start: time.Date(2026, time.November, 23, 15, 0, 0, 0, shanghai), End: time.Date(2026, time.November, 24, 10, 0, 0, 0, shanghai)},
		{Start: time.Date(2026, time.November, 24, 11, 0, 0, 0, shanghai)}, // still waiting
	}
	elapsed := cal.WorkingTimeExcluding(opened, now, pauses)
	budget := 24 * time.Hour // 3 working days of 8 hours
	fmt.Println("elapsed", elapsed, "remaining", budget-elapsed)
	// Output: elapsed 7h0m0s remaining 17h0m0s
}

// A 1-year free warranty starting on a leap day ends on 28 February of the next year.
func ExampleDate_AddMonths() {
	accepted := calendar.NewDate(2024, time.February, 29)
	fmt.Println(accepted.AddMonths(12), accepted.AddYears(1))
	jan31 := calendar.NewDate(2025, time.January, 31)
	fmt.Println(jan31, "+ 1 month =", jan31.AddMonths(1))
	// Output:
	// 2025-02-28 2025-02-28
	// 2025-01-31 + 1 month = 2025-02-28
}
