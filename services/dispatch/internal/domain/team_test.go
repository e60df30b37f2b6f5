package domain

import (
	"slices"
	"testing"
)

func TestCrew(t *testing.T) {
	cases := []struct {
		name    string
		lead    string
		members []string
		want    []string
	}{
		{"alone", "a", nil, []string{"a"}},
		{"a team", "a", []string{"b", "c"}, []string{"a", "b", "c"}},
		{"the lead listed as a member", "a", []string{"a", "b"}, []string{"a", "b"}},
		{"a member twice", "a", []string{"b", "b"}, []string{"a", "b"}},
		{"unassigned", "", nil, []string{}},
		{"members without a lead", "", []string{"b"}, []string{"b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Crew(c.lead, c.members); !slices.Equal(got, c.want) {
				t.Errorf("Crew(%q, %v) = %v, want %v", c.lead, c.members, got, c.want)
			}
		})
	}
}
