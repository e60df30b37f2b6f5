package calendar

import (
	"errors"
	"testing"
	"time"
)

// tm parses a wall-clock time "2006-01-02 15:04" in loc.
func tm(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatalf("ParseInLocation(%q) = %v", s, err)
	}
	return v
}

// nationalDay2025 is a 5×8 Shanghai calendar with the 2025 National Day holiday
// (1–8 October) and its make-up working days (Sunday 28 September, Saturday 11 October).
func nationalDay2025(t testing.TB) *Calendar {
	t.Helper()
	s := FiveByEight(mustLoad(t, "Asia/Shanghai")).Spec()
	for day := 1; day <= 8; day++ {
		s.Holidays = append(s.Holidays, d(2025, 10, day))
	}
	s.ExtraWorkdays = []Date{d(2025, 9, 28), d(2025, 10, 11)}
	c, err := New(s)
	if err != nil {
		t.Fatalf("New(national day) = %v", err)
	}
	return c
}

func TestAddWorkingTime(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	ny := mustLoad(t, "America/New_York")
	nineToFive := Weekdays9to17(sh)
	fiveByEight := FiveByEight(sh)
	holidays := nationalDay2025(t)
	tests := []struct {
		name  string
		cal   *Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		// 2026-11-23 is a Monday.
		{"within the day", nineToFive, tm(t, sh, "2026-11-23 10:00"), 2 * time.Hour, tm(t, sh, "2026-11-23 12:00")},
		{"overnight", nineToFive, tm(t, sh, "2026-11-23 16:30"), 2 * time.Hour, tm(t, sh, "2026-11-24 10:30")},
		{"runs out at closing", nineToFive, tm(t, sh, "2026-11-23 16:00"), time.Hour, tm(t, sh, "2026-11-23 17:00")},
		{"start at closing", nineToFive, tm(t, sh, "2026-11-23 17:00"), time.Hour, tm(t, sh, "2026-11-24 10:00")},
		{"start at opening", nineToFive, tm(t, sh, "2026-11-23 09:00"), 8 * time.Hour, tm(t, sh, "2026-11-23 17:00")},
		{"start before opening", nineToFive, tm(t, sh, "2026-11-23 07:00"), time.Hour, tm(t, sh, "2026-11-23 10:00")},
		{"start at night", nineToFive, tm(t, sh, "2026-11-23 23:59"), time.Minute, tm(t, sh, "2026-11-24 09:01")},
		{"one nanosecond", nineToFive, tm(t, sh, "2026-11-23 09:00"), time.Nanosecond, tm(t, sh, "2026-11-23 09:00").Add(time.Nanosecond)},
		{"friday over weekend", nineToFive, tm(t, sh, "2026-11-27 16:00"), 2 * time.Hour, tm(t, sh, "2026-11-30 10:00")},
		{"start on saturday", nineToFive, tm(t, sh, "2026-11-28 12:00"), time.Hour, tm(t, sh, "2026-11-30 10:00")},
		{"zero on saturday stays", nineToFive, tm(t, sh, "2026-11-28 12:00"), 0, tm(t, sh, "2026-11-28 12:00")},
		{"a working week", nineToFive, tm(t, sh, "2026-11-23 09:00"), 40 * time.Hour, tm(t, sh, "2026-11-27 17:00")},
		{"a week and a nanosecond", nineToFive, tm(t, sh, "2026-11-23 09:00"), 40*time.Hour + time.Nanosecond, tm(t, sh, "2026-11-30 09:00").Add(time.Nanosecond)},
		{"3 working days of 8h", nineToFive, tm(t, sh, "2026-11-26 13:00"), 24 * time.Hour, tm(t, sh, "2026-12-01 13:00")},
		{"lunch break", fiveByEight, tm(t, sh, "2026-11-23 11:30"), time.Hour, tm(t, sh, "2026-11-23 13:30")},
		{"start in lunch break", fiveByEight, tm(t, sh, "2026-11-23 12:00"), time.Minute, tm(t, sh, "2026-11-23 13:01")},
		{"morning runs out at noon", fiveByEight, tm(t, sh, "2026-11-23 08:30"), 3*time.Hour + 30*time.Minute, tm(t, sh, "2026-11-23 12:00")},
		{"5x8 overnight", fiveByEight, tm(t, sh, "2026-11-23 17:00"), time.Hour, tm(t, sh, "2026-11-24 09:00")},
		{"24 h acknowledgement on 5x8", fiveByEight, tm(t, sh, "2026-11-23 08:30"), 24 * time.Hour, tm(t, sh, "2026-11-25 17:30")},
		{"make-up sunday", holidays, tm(t, sh, "2025-09-26 17:00"), time.Hour, tm(t, sh, "2025-09-28 09:00")},
		{"over national day", holidays, tm(t, sh, "2025-09-30 17:00"), time.Hour, tm(t, sh, "2025-10-09 09:00")},
		{"start in holiday", holidays, tm(t, sh, "2025-10-03 10:00"), 30 * time.Minute, tm(t, sh, "2025-10-09 09:00")},
		{"make-up saturday", holidays, tm(t, sh, "2025-10-10 17:30"), 8 * time.Hour, tm(t, sh, "2025-10-11 17:30")},
		{"7x24", Always(sh), tm(t, sh, "2026-11-28 23:00"), 50 * time.Hour, tm(t, sh, "2026-12-01 01:00")},
		{"start in another zone", nineToFive, time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC), time.Hour, tm(t, sh, "2026-11-23 10:00")},
		// New York springs forward on Sunday 2026-03-08 and falls back on Sunday 2026-11-01.
		{"9-17 over spring forward", Weekdays9to17(ny), tm(t, ny, "2026-03-06 16:00"), 2 * time.Hour, tm(t, ny, "2026-03-09 10:00")},
		{"9-17 over fall back", Weekdays9to17(ny), tm(t, ny, "2026-10-30 16:00"), 2 * time.Hour, tm(t, ny, "2026-11-02 10:00")},
		{"7x24 over spring forward is real time", Always(ny), tm(t, ny, "2026-03-08 00:00"), 24 * time.Hour, tm(t, ny, "2026-03-09 01:00")},
		{"7x24 over fall back is real time", Always(ny), tm(t, ny, "2026-11-01 00:00"), 24 * time.Hour, tm(t, ny, "2026-11-01 23:00")},
		{"7x8 on fall back sunday", SevenByEight(ny), tm(t, ny, "2026-11-01 16:00"), 2 * time.Hour, tm(t, ny, "2026-11-02 10:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cal.AddWorkingTime(tt.start, tt.d)
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("AddWorkingTime(%v, %v) = %v, %v, want %v", tt.start, tt.d, got, err, tt.want)
			}
			if back := tt.cal.WorkingTimeBetween(tt.start, got); back != tt.d {
				t.Errorf("WorkingTimeBetween(%v, %v) = %v, want %v", tt.start, got, back, tt.d)
			}
		})
	}
}

func TestAddWorkingTimeErrors(t *testing.T) {
	c := Weekdays9to17(time.UTC)
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if got, err := c.AddWorkingTime(start, -time.Second); err == nil {
		t.Errorf("AddWorkingTime(%v, -1s) = %v, nil, want an error", start, got)
	}
	// 8h a day, about 261 days a year: a million hours is about 480 years of working days.
	if got, err := c.AddWorkingTime(start, 1_000_000*time.Hour); !errors.Is(err, ErrSearchLimit) {
		t.Errorf("AddWorkingTime(%v, 1e6h) = %v, %v, want ErrSearchLimit", start, got, err)
	}
}

func TestWorkingTimeBetween(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	ny := mustLoad(t, "America/New_York")
	nineToFive := Weekdays9to17(sh)
	sunday := Spec{Location: ny}
	sunday.Week[time.Sunday] = []Span{{0, Day}}
	sundays, err := New(sunday)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cal  *Calendar
		a, b time.Time
		want time.Duration
	}{
		{"same instant", nineToFive, tm(t, sh, "2026-11-23 10:00"), tm(t, sh, "2026-11-23 10:00"), 0},
		{"reversed is zero", nineToFive, tm(t, sh, "2026-11-23 12:00"), tm(t, sh, "2026-11-23 10:00"), 0},
		{"inside hours", nineToFive, tm(t, sh, "2026-11-23 10:00"), tm(t, sh, "2026-11-23 12:00"), 2 * time.Hour},
		{"night only", nineToFive, tm(t, sh, "2026-11-23 17:00"), tm(t, sh, "2026-11-24 09:00"), 0},
		{"weekend only", nineToFive, tm(t, sh, "2026-11-28 00:00"), tm(t, sh, "2026-11-30 00:00"), 0},
		{"whole week", nineToFive, tm(t, sh, "2026-11-23 00:00"), tm(t, sh, "2026-11-30 00:00"), 40 * time.Hour},
		{"5x8 day", FiveByEight(sh), tm(t, sh, "2026-11-23 00:00"), tm(t, sh, "2026-11-24 00:00"), 8 * time.Hour},
		{"national day week", nationalDay2025(t), tm(t, sh, "2025-09-27 00:00"), tm(t, sh, "2025-10-12 00:00"), 6 * 8 * time.Hour},
		{"7x24 spring forward day", sundays, tm(t, ny, "2026-03-07 12:00"), tm(t, ny, "2026-03-09 12:00"), 23 * time.Hour},
		{"7x24 fall back day", sundays, tm(t, ny, "2026-10-31 12:00"), tm(t, ny, "2026-11-02 12:00"), 25 * time.Hour},
		{"9-17 across spring forward", Weekdays9to17(ny), tm(t, ny, "2026-03-06 09:00"), tm(t, ny, "2026-03-09 17:00"), 16 * time.Hour},
		{"spans across the spring-forward gap", fuzzCalendars(t)[5], tm(t, ny, "2026-03-08 00:00"), tm(t, ny, "2026-03-09 00:00"), time.Hour},
		{"saturates", Always(time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1400, 1, 1, 0, 0, 0, 0, time.UTC), time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.WorkingTimeBetween(tt.a, tt.b); got != tt.want {
				t.Errorf("WorkingTimeBetween(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestWorkingTimeExcluding(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	c := Weekdays9to17(sh)
	a, b := tm(t, sh, "2026-11-23 09:00"), tm(t, sh, "2026-11-24 17:00") // 16h of working time
	iv := func(s, e string) Interval {
		var end time.Time
		if e != "" {
			end = tm(t, sh, e)
		}
		return Interval{Start: tm(t, sh, s), End: end}
	}
	tests := []struct {
		name   string
		pauses []Interval
		want   time.Duration
	}{
		{"no pauses", nil, 16 * time.Hour},
		{"one pause", []Interval{iv("2026-11-23 12:00", "2026-11-23 14:00")}, 14 * time.Hour},
		{"overlapping pauses", []Interval{iv("2026-11-23 13:00", "2026-11-23 15:00"), iv("2026-11-23 12:00", "2026-11-23 14:00")}, 13 * time.Hour},
		{"nested pauses", []Interval{iv("2026-11-23 10:00", "2026-11-23 16:00"), iv("2026-11-23 11:00", "2026-11-23 12:00")}, 10 * time.Hour},
		{"touching pauses", []Interval{iv("2026-11-23 10:00", "2026-11-23 11:00"), iv("2026-11-23 11:00", "2026-11-23 12:00")}, 14 * time.Hour},
		{"pause over night", []Interval{iv("2026-11-23 16:00", "2026-11-24 10:00")}, 14 * time.Hour},
		{"pause outside hours", []Interval{iv("2026-11-23 18:00", "2026-11-24 08:00")}, 16 * time.Hour},
		{"pause before start", []Interval{iv("2026-11-20 09:00", "2026-11-23 10:00")}, 15 * time.Hour},
		{"pause after end", []Interval{iv("2026-11-24 16:00", "2026-11-25 12:00")}, 15 * time.Hour},
		{"open pause", []Interval{iv("2026-11-24 15:00", "")}, 14 * time.Hour},
		{"backwards pause ignored", []Interval{iv("2026-11-23 14:00", "2026-11-23 12:00")}, 16 * time.Hour},
		{"whole span paused", []Interval{iv("2026-11-22 00:00", "")}, 0},
		{"disjoint pauses", []Interval{iv("2026-11-24 09:00", "2026-11-24 10:00"), iv("2026-11-23 09:00", "2026-11-23 10:00")}, 14 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkingTimeExcluding(a, b, tt.pauses); got != tt.want {
				t.Errorf("WorkingTimeExcluding(%v, %v, %v) = %v, want %v", a, b, tt.pauses, got, tt.want)
			}
		})
	}
	if got := c.WorkingTimeExcluding(b, a, nil); got != 0 {
		t.Errorf("WorkingTimeExcluding(b, a, nil) = %v, want 0", got)
	}
}

func TestIsOpenAndNextOpen(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	c := FiveByEight(sh)
	tests := []struct {
		name     string
		at       time.Time
		wantOpen bool
		wantNext time.Time
	}{
		{"at opening", tm(t, sh, "2026-11-23 08:30"), true, tm(t, sh, "2026-11-23 08:30")},
		{"just before opening", tm(t, sh, "2026-11-23 08:30").Add(-time.Nanosecond), false, tm(t, sh, "2026-11-23 08:30")},
		{"at noon closing", tm(t, sh, "2026-11-23 12:00"), false, tm(t, sh, "2026-11-23 13:00")},
		{"just before noon", tm(t, sh, "2026-11-23 12:00").Add(-time.Nanosecond), true, tm(t, sh, "2026-11-23 12:00").Add(-time.Nanosecond)},
		{"afternoon", tm(t, sh, "2026-11-23 15:00"), true, tm(t, sh, "2026-11-23 15:00")},
		{"at evening closing", tm(t, sh, "2026-11-23 17:30"), false, tm(t, sh, "2026-11-24 08:30")},
		{"friday evening", tm(t, sh, "2026-11-27 18:00"), false, tm(t, sh, "2026-11-30 08:30")},
		{"sunday", tm(t, sh, "2026-11-29 10:00"), false, tm(t, sh, "2026-11-30 08:30")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.IsOpen(tt.at); got != tt.wantOpen {
				t.Errorf("IsOpen(%v) = %v, want %v", tt.at, got, tt.wantOpen)
			}
			if got, err := c.NextOpen(tt.at); err != nil || !got.Equal(tt.wantNext) {
				t.Errorf("NextOpen(%v) = %v, %v, want %v", tt.at, got, err, tt.wantNext)
			}
		})
	}
	if !Always(sh).IsOpen(tm(t, sh, "2026-11-29 00:00")) {
		t.Error("Always.IsOpen(midnight) = false, want true")
	}
}

func TestAddWorkingDays(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	holidays := nationalDay2025(t)
	nineToFive := Weekdays9to17(sh)
	tests := []struct {
		name string
		cal  *Calendar
		in   Date
		n    int
		want Date
	}{
		{"zero keeps a weekend day", nineToFive, d(2026, 11, 28), 0, d(2026, 11, 28)},
		{"monday plus one", nineToFive, d(2026, 11, 23), 1, d(2026, 11, 24)},
		{"return window from friday", nineToFive, d(2026, 11, 27), 3, d(2026, 12, 2)},
		{"from saturday", nineToFive, d(2026, 11, 28), 1, d(2026, 11, 30)},
		{"answer in 10 working days", nineToFive, d(2026, 11, 23), 10, d(2026, 12, 7)},
		{"backwards over weekend", nineToFive, d(2026, 11, 30), -1, d(2026, 11, 27)},
		{"backwards from sunday", nineToFive, d(2026, 11, 29), -2, d(2026, 11, 26)},
		{"to make-up sunday", holidays, d(2025, 9, 26), 1, d(2025, 9, 28)},
		{"over national day", holidays, d(2025, 9, 30), 1, d(2025, 10, 9)},
		{"3 working days from holiday", holidays, d(2025, 10, 2), 3, d(2025, 10, 11)},
		{"backwards over national day", holidays, d(2025, 10, 9), -1, d(2025, 9, 30)},
		{"7x24 is calendar days", Always(sh), d(2026, 11, 27), 3, d(2026, 11, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cal.AddWorkingDays(tt.in, tt.n)
			if err != nil || got != tt.want {
				t.Fatalf("AddWorkingDays(%v, %d) = %v, %v, want %v", tt.in, tt.n, got, err, tt.want)
			}
			if back := tt.cal.WorkingDaysBetween(tt.in, got); back != tt.n {
				t.Errorf("WorkingDaysBetween(%v, %v) = %d, want %d", tt.in, got, back, tt.n)
			}
		})
	}
	if got, err := nineToFive.AddWorkingDays(d(2026, 1, 1), 30000); !errors.Is(err, ErrSearchLimit) {
		t.Errorf("AddWorkingDays(2026-01-01, 30000) = %v, %v, want ErrSearchLimit", got, err)
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := nationalDay2025(t)
	tests := []struct {
		name string
		a, b Date
		want int
	}{
		{"same day", d(2025, 9, 29), d(2025, 9, 29), 0},
		{"holiday fortnight", d(2025, 9, 26), d(2025, 10, 12), 6},
		{"reversed counts the end day", d(2025, 10, 12), d(2025, 9, 26), -7},
		{"reversed from a working day", d(2025, 10, 9), d(2025, 9, 29), -2},
		{"only holidays", d(2025, 9, 30), d(2025, 10, 8), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkingDaysBetween(tt.a, tt.b); got != tt.want {
				t.Errorf("WorkingDaysBetween(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestAddWorkingDaysAt(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	sh := mustLoad(t, "Asia/Shanghai")
	tests := []struct {
		name string
		cal  *Calendar
		in   time.Time
		n    int
		want time.Time
	}{
		{"keeps wall clock over fall back", Weekdays9to17(ny), tm(t, ny, "2026-10-30 10:00"), 1, tm(t, ny, "2026-11-02 10:00")},
		{"keeps wall clock over spring forward", Weekdays9to17(ny), tm(t, ny, "2026-03-06 15:45"), 1, tm(t, ny, "2026-03-09 15:45")},
		{"date in calendar zone", Weekdays9to17(sh), time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC), 1, tm(t, sh, "2026-11-30 04:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cal.AddWorkingDaysAt(tt.in, tt.n)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("AddWorkingDaysAt(%v, %d) = %v, %v, want %v", tt.in, tt.n, got, err, tt.want)
			}
		})
	}
}

func TestHolidays(t *testing.T) {
	c := nationalDay2025(t)
	tests := []struct {
		day  Date
		want bool
	}{
		{d(2025, 9, 26), true},  // Friday
		{d(2025, 9, 27), false}, // Saturday
		{d(2025, 9, 28), true},  // make-up Sunday
		{d(2025, 10, 1), false}, // National Day, a Wednesday
		{d(2025, 10, 8), false},
		{d(2025, 10, 9), true},
		{d(2025, 10, 11), true}, // make-up Saturday
		{d(2025, 10, 12), false},
	}
	for _, tt := range tests {
		if got := c.IsWorkingDay(tt.day); got != tt.want {
			t.Errorf("IsWorkingDay(%v) = %v, want %v", tt.day, got, tt.want)
		}
	}
}

// fuzzCalendars are the calendars FuzzAddWorkingTime picks from.
func fuzzCalendars(t testing.TB) []*Calendar {
	ny := mustLoad(t, "America/New_York")
	sh := mustLoad(t, "Asia/Shanghai")
	gap := Spec{Location: ny} // a span inside the spring-forward gap
	gap.Week[time.Sunday] = []Span{Hours(1, 30, 2, 30), Hours(2, 30, 3, 30)}
	gap.Week[time.Wednesday] = []Span{Hours(0, 0, 24, 0)}
	gapCal, err := New(gap)
	if err != nil {
		t.Fatal(err)
	}
	return []*Calendar{
		Weekdays9to17(ny), FiveByEight(sh), Always(ny), SevenByEight(ny), nationalDay2025(t), gapCal,
	}
}

func FuzzAddWorkingTime(f *testing.F) {
	f.Add(int64(1795422600), int64(2*time.Hour), int64(1*time.Hour), uint8(0))
	f.Add(int64(1772982000), int64(24*time.Hour), int64(0), uint8(2))
	f.Add(int64(1758900000), int64(time.Nanosecond), int64(30*time.Minute), uint8(4))
	f.Add(int64(1772928000), int64(5*time.Hour), int64(3*time.Hour), uint8(5))
	cals := fuzzCalendars(f)
	f.Fuzz(func(t *testing.T, startUnix, d1, d2 int64, which uint8) {
		c := cals[int(which)%len(cals)]
		// Keep to 2000-2100 and to at most 1000h of working time per step.
		const from, span = 946684800, 100 * 365 * 86400
		start := time.Unix(from+((startUnix%span)+span)%span, ((startUnix%1e9)+1e9)%1e9)
		a := time.Duration(((d1 % int64(1000*time.Hour)) + int64(1000*time.Hour)) % int64(1000*time.Hour))
		b := time.Duration(((d2 % int64(1000*time.Hour)) + int64(1000*time.Hour)) % int64(1000*time.Hour))

		end, err := c.AddWorkingTime(start, a)
		if err != nil {
			t.Fatalf("AddWorkingTime(%v, %v) = %v", start, a, err)
		}
		if end.Before(start) {
			t.Fatalf("AddWorkingTime(%v, %v) = %v, before start", start, a, end)
		}
		if got := c.WorkingTimeBetween(start, end); got != a {
			t.Fatalf("WorkingTimeBetween(%v, AddWorkingTime(%v)) = %v, want %v", start, a, got, a)
		}
		if a > 0 {
			if got := c.WorkingTimeBetween(start, end.Add(-time.Nanosecond)); got >= a {
				t.Fatalf("AddWorkingTime(%v, %v) = %v is not the earliest: %v already passed a nanosecond before", start, a, end, got)
			}
			if !c.IsOpen(end.Add(-time.Nanosecond)) {
				t.Fatalf("AddWorkingTime(%v, %v) = %v, but the nanosecond before is closed", start, a, end)
			}
		}
		whole, err := c.AddWorkingTime(start, a+b)
		if err != nil {
			t.Fatalf("AddWorkingTime(%v, %v) = %v", start, a+b, err)
		}
		if b > 0 {
			if split, err := c.AddWorkingTime(end, b); err != nil || !split.Equal(whole) {
				t.Fatalf("AddWorkingTime(AddWorkingTime(%v, %v), %v) = %v, %v, want %v", start, a, b, split, err, whole)
			}
		}
		if got, want := c.WorkingTimeBetween(start, whole), a+b; got != want {
			t.Fatalf("WorkingTimeBetween(%v, %v) = %v, want %v", start, whole, got, want)
		}
		if paused := c.WorkingTimeExcluding(start, whole, []Interval{{Start: start, End: end}}); paused != b {
			t.Fatalf("WorkingTimeExcluding(%v, %v, [%v, %v)) = %v, want %v", start, whole, start, end, paused, b)
		}
		next, err := c.NextOpen(start)
		if err != nil || next.Before(start) || !c.IsOpen(next) {
			t.Fatalf("NextOpen(%v) = %v, %v, want an open instant not before start", start, next, err)
		}
	})
}

func BenchmarkAddWorkingTime(b *testing.B) {
	c := FiveByEight(mustLoad(b, "Asia/Shanghai"))
	start := tm(b, c.Location(), "2026-11-23 10:00")
	const tenDays = 10 * 8 * time.Hour
	for b.Loop() {
		if _, err := c.AddWorkingTime(start, tenDays); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWorkingTimeBetween(b *testing.B) {
	c := FiveByEight(mustLoad(b, "Asia/Shanghai"))
	start := tm(b, c.Location(), "2026-11-23 10:00")
	end := tm(b, c.Location(), "2026-12-07 10:00")
	for b.Loop() {
		c.WorkingTimeBetween(start, end)
	}
}

func TestResultsInCalendarZone(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	c := Weekdays9to17(sh)
	start := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	now := time.Now()
	must := func(v time.Time, err error) time.Time {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for name, got := range map[string]time.Time{
		"AddWorkingTime inside hours": must(c.AddWorkingTime(start, time.Hour)),
		"AddWorkingTime zero":         must(c.AddWorkingTime(start, 0)),
		"NextOpen when open":          must(c.NextOpen(start)),
		"NextOpen from monotonic now": must(c.NextOpen(now)),
	} {
		if got.Location() != sh {
			t.Errorf("%s: location = %v, want Asia/Shanghai", name, got.Location())
		}
		if got != got.Round(0) {
			t.Errorf("%s: %v carries a monotonic clock reading", name, got)
		}
	}
}

func TestStretch(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	c := FiveByEight(sh)
	tests := []struct {
		name       string
		at         time.Time
		start, end time.Time
		ok         bool
		cal        *Calendar
		days       int
	}{
		{"before opening: the morning", tm(t, sh, "2026-11-23 07:00"), tm(t, sh, "2026-11-23 08:30"), tm(t, sh, "2026-11-23 12:00"), true, c, 1},
		{"inside the morning: from now", tm(t, sh, "2026-11-23 10:00"), tm(t, sh, "2026-11-23 10:00"), tm(t, sh, "2026-11-23 12:00"), true, c, 1},
		{"at lunch: the afternoon", tm(t, sh, "2026-11-23 12:30"), tm(t, sh, "2026-11-23 13:00"), tm(t, sh, "2026-11-23 17:30"), true, c, 1},
		{"friday evening: monday, within 3 days", tm(t, sh, "2026-11-27 18:00"), tm(t, sh, "2026-11-30 08:30"), tm(t, sh, "2026-11-30 12:00"), true, c, 3},
		{"friday evening: nothing within a day", tm(t, sh, "2026-11-27 18:00"), time.Time{}, time.Time{}, false, c, 0},
		{"always open: days touching at midnight are one stretch", tm(t, sh, "2026-11-23 22:00"), tm(t, sh, "2026-11-23 22:00"), tm(t, sh, "2026-11-25 00:00"), true, Always(sh), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e, ok := tt.cal.Stretch(tt.at, tt.days)
			if ok != tt.ok || (ok && (!s.Equal(tt.start) || !e.Equal(tt.end))) {
				t.Errorf("Stretch(%v, %d) = %v, %v, %v; want %v, %v, %v", tt.at, tt.days, s, e, ok, tt.start, tt.end, tt.ok)
			}
		})
	}
}
