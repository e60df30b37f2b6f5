package domain

// Crew returns the technicians a job occupies: its lead and each member of its team (seed
// 002: two or more engineers on one visit, one leads), each once, lead first. A job counts
// toward the daily capacity of every one of them, so neither assignment nor a day plan books a
// member elsewhere for the day the team works.
func Crew(lead string, members []string) []string {
	out := make([]string, 0, 1+len(members))
	seen := make(map[string]bool, 1+len(members))
	for _, id := range append([]string{lead}, members...) {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}
