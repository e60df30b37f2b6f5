// Package domain holds dispatch's business rules: technicians, matching and ranking, the job
// state machine, appointments and service-report rules. It knows no proto, gRPC or storage, and
// time is always an argument.
package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Policy holds every number of the dispatch rules (DOMAIN.md §4) as a setting with a default.
type Policy struct {
	// AcceptWithin is how long a technician has to accept an assignment before it is
	// reassigned and escalated (default 2 h: "arranged within 2 h").
	AcceptWithin time.Duration
	// ArrangementCheck is when, after hand-out, the desk checks that a job is arranged; an
	// unarranged job is escalated to management (default 4 h).
	ArrangementCheck time.Duration
	// LatenessNotice is how long before the appointment a technician who will be late must say
	// so (default 2 h).
	LatenessNotice time.Duration
	// InstallationLead is how far ahead an installation appointment is agreed with the
	// customer (default 2 days; 0 turns the rule off).
	InstallationLead time.Duration
	// RoadFactor turns great-circle kilometres into road kilometres (default 1.3).
	RoadFactor float64
	// SpeedKmh is the average travel speed used to estimate arrival (default 60 km/h).
	SpeedKmh float64
	// DefaultRadiusKm is the service radius of a technician who gives none (default 100 km).
	DefaultRadiusKm float64
	// ArriveWithin is the arrival deadline applied when a job has no arrive_by (default 24 h:
	// "within 100 km be on site within 24 h").
	ArriveWithin time.Duration
	// CalendarHorizon is how far ahead to look for a technician's next working time
	// (default 14 days).
	CalendarHorizon time.Duration
	// CollectDetourKm is the longest detour (road km) still counted as collecting parts "on
	// the way" (default 30 km).
	CollectDetourKm float64
	// RankingSize is how many candidates a stored ranking keeps (default 10).
	RankingSize int
	// Weights weigh the score's terms.
	Weights Weights
	// ClockSkew is how far in the future a client-given time (sign-off, check-in) may lie
	// (default 5 min).
	ClockSkew time.Duration
	// CheckInDistanceKm is how far from the site a check-in may be before it is refused
	// (default 5 km; 0 disables the check).
	CheckInDistanceKm float64
	// Qualification is the training rule (seed 002): who may be assigned a product line.
	Qualification QualificationPolicy
}

// Weights weigh the terms of a candidate's score; each term is between 0 and 1.
type Weights struct {
	// Distance rewards a short trip relative to the technician's radius (default 0.5).
	Distance float64
	// Load rewards spare capacity (default 0.3).
	Load float64
	// Slack rewards time to spare before the arrival deadline (default 0.2).
	Slack float64
	// Routing rewards the organisation the difficulty belongs to: dealers and service stations
	// for routine jobs, the technical department for expert ones (default 0.2).
	Routing float64
}

// DefaultPolicy returns the policy with DOMAIN.md's numbers.
func DefaultPolicy() Policy {
	return Policy{
		AcceptWithin:      2 * time.Hour,
		ArrangementCheck:  4 * time.Hour,
		LatenessNotice:    2 * time.Hour,
		InstallationLead:  48 * time.Hour,
		RoadFactor:        1.3,
		SpeedKmh:          60,
		DefaultRadiusKm:   100,
		ArriveWithin:      24 * time.Hour,
		CalendarHorizon:   14 * 24 * time.Hour,
		CollectDetourKm:   30,
		RankingSize:       10,
		Weights:           Weights{Distance: 0.5, Load: 0.3, Slack: 0.2, Routing: 0.2},
		ClockSkew:         5 * time.Minute,
		CheckInDistanceKm: 5,
		Qualification:     DefaultQualificationPolicy(),
	}
}

// Validate reports the settings that make no sense (negative durations, a road factor below 1,
// a non-positive speed or radius), naming each.
func (p Policy) Validate() error {
	var bad []string
	for name, d := range map[string]time.Duration{
		"accept-within": p.AcceptWithin, "arrangement-check": p.ArrangementCheck, "lateness-notice": p.LatenessNotice,
		"arrive-within": p.ArriveWithin, "calendar-horizon": p.CalendarHorizon, "installation-lead": p.InstallationLead,
		"clock-skew": p.ClockSkew,
	} {
		if d < 0 {
			bad = append(bad, fmt.Sprintf("%s must not be negative, got %s", name, d))
		}
	}
	if p.AcceptWithin == 0 || p.ArrangementCheck == 0 || p.CalendarHorizon == 0 {
		bad = append(bad, "accept-within, arrangement-check and calendar-horizon must be positive")
	}
	if p.RoadFactor < 1 {
		bad = append(bad, fmt.Sprintf("road-factor must be at least 1, got %g", p.RoadFactor))
	}
	if p.SpeedKmh <= 0 || p.DefaultRadiusKm <= 0 {
		bad = append(bad, "speed-kmh and default-radius-km must be positive")
	}
	if p.CollectDetourKm < 0 || p.CheckInDistanceKm < 0 || p.RankingSize < 1 {
		bad = append(bad, "collect-detour-km and check-in-distance-km must not be negative, ranking-size at least 1")
	}
	if p.Qualification.TrainingMonths < 0 || p.Qualification.ValidMonths < 1 {
		bad = append(bad, "training-months must not be negative, qualification-valid-months at least 1")
	}
	if p.Weights.Distance < 0 || p.Weights.Load < 0 || p.Weights.Slack < 0 || p.Weights.Routing < 0 {
		bad = append(bad, "weights must not be negative")
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("policy: %s", strings.Join(bad, "; "))
	}
	return nil
}
