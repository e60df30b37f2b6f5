package validate

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Dashboard is the part of a Grafana dashboard model (the JSON Grafana exports and provisions)
// that Grafana requires or that Sanbao's dashboards rely on. Unknown fields are allowed: the
// model has many optional ones.
type Dashboard struct {
	UID           string          `json:"uid"`
	Title         string          `json:"title"`
	SchemaVersion int             `json:"schemaVersion"`
	Tags          []string        `json:"tags"`
	Time          *DashboardRange `json:"time"`
	Templating    struct {
		List []DashboardVar `json:"list"`
	} `json:"templating"`
	Panels []Panel `json:"panels"`
}

// DashboardRange is a dashboard's default time range.
type DashboardRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// DashboardVar is a templating variable.
type DashboardVar struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Query any    `json:"query"`
}

// Panel is a dashboard panel or row.
type Panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	GridPos    *GridPos       `json:"gridPos"`
	Datasource *DatasourceRef `json:"datasource"`
	Targets    []PanelTarget  `json:"targets"`
	Panels     []Panel        `json:"panels"` // a collapsed row's panels
}

// GridPos places a panel on the dashboard's 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// DatasourceRef names a data source by type and uid (a variable such as ${datasource}).
type DatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// PanelTarget is one query of a panel.
type PanelTarget struct {
	RefID      string         `json:"refId"`
	Expr       string         `json:"expr"`
	Datasource *DatasourceRef `json:"datasource"`
}

// Panel types the dashboards may use (Grafana's built-in panel plugins).
var panelTypes = []string{"row", "timeseries", "stat", "gauge", "table", "bargauge", "text", "heatmap", "piechart"}

// Variable types Grafana knows.
var varTypes = []string{"query", "datasource", "custom", "constant", "interval", "textbox", "adhoc"}

// DecodeDashboard decodes a Grafana dashboard and checks what Grafana needs to load it and to
// lay it out: a uid of at most 40 characters, a title, a schemaVersion, unique panel ids,
// panels of known types that fit the 24-column grid without overlapping, data sources that
// are the dashboard's datasource variable, targets with unique refIds and PromQL queries that
// Prometheus's parser accepts once Grafana's variables are expanded. It returns the dashboard
// and every problem found.
func DecodeDashboard(data []byte) (*Dashboard, []string) {
	var d Dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, []string{"not a dashboard: " + err.Error()}
	}
	var out []string
	fail := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if d.UID == "" || len(d.UID) > 40 {
		fail("uid %q must be 1 to 40 characters", d.UID)
	}
	if d.Title == "" {
		fail("no title")
	}
	if d.SchemaVersion < 36 {
		fail("schemaVersion %d: need 36 or later (data sources by uid)", d.SchemaVersion)
	}
	if d.Time == nil || d.Time.From == "" || d.Time.To == "" {
		fail("no default time range")
	}
	var vars, dsVars []string
	for _, v := range d.Templating.List {
		if v.Name == "" || slices.Contains(vars, v.Name) {
			fail("templating variable %q: empty or duplicated name", v.Name)
		}
		if !slices.Contains(varTypes, v.Type) {
			fail("templating variable %s: unknown type %q", v.Name, v.Type)
		}
		vars = append(vars, v.Name)
		if v.Type == "datasource" {
			dsVars = append(dsVars, v.Name)
		}
		if v.Type == "query" {
			q := v.Query
			if m, ok := q.(map[string]any); ok {
				q = m["query"]
			}
			if s, _ := q.(string); s == "" {
				fail("templating variable %s: no query", v.Name)
			}
		}
	}
	checkDS := func(where string, ds *DatasourceRef) {
		switch {
		case ds == nil:
			fail("%s: no datasource", where)
		case ds.Type != "prometheus":
			fail("%s: datasource type %q, want prometheus", where, ds.Type)
		case !slices.ContainsFunc(dsVars, func(v string) bool { return ds.UID == "${"+v+"}" || ds.UID == "$"+v }):
			fail("%s: datasource uid %q is not the dashboard's datasource variable (a fixed uid exists only in one Grafana)", where, ds.UID)
		}
	}
	ids := map[int]bool{}
	var placed []*GridPos
	var walk func(ps []Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if p.ID <= 0 || ids[p.ID] {
				fail("%s: id must be positive and unique", where)
			}
			ids[p.ID] = true
			if !slices.Contains(panelTypes, p.Type) {
				fail("%s: unknown panel type %q", where, p.Type)
			}
			if p.Title == "" {
				fail("panel %d: no title", p.ID)
			}
			g := p.GridPos
			switch {
			case g == nil:
				fail("%s: no gridPos", where)
			case g.W < 1 || g.H < 1 || g.X < 0 || g.Y < 0 || g.X+g.W > 24:
				fail("%s: gridPos %+v does not fit the 24-column grid", where, *g)
			default:
				for _, o := range placed {
					if g.X < o.X+o.W && o.X < g.X+g.W && g.Y < o.Y+o.H && o.Y < g.Y+g.H {
						fail("%s: gridPos %+v overlaps another panel at %+v", where, *g, *o)
					}
				}
				placed = append(placed, g)
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if p.Type != "text" {
				checkDS(where, p.Datasource)
				if len(p.Targets) == 0 {
					fail("%s: no targets", where)
				}
			}
			refs := map[string]bool{}
			for _, t := range p.Targets {
				tw := fmt.Sprintf("%s target %s", where, t.RefID)
				if t.RefID == "" || refs[t.RefID] {
					fail("%s: refId empty or duplicated", tw)
				}
				refs[t.RefID] = true
				if t.Datasource != nil {
					checkDS(tw, t.Datasource)
				}
				expr, err := ExpandGrafana(t.Expr, vars)
				if err == nil {
					_, err = ParsePromQL(expr)
				}
				if err != nil {
					fail("%s: expr %q: %v", tw, t.Expr, err)
				}
			}
		}
	}
	walk(d.Panels)
	return &d, out
}

// DashboardQueries returns every panel target's query of d, with Grafana's variables expanded.
func DashboardQueries(d *Dashboard) []string {
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	var out []string
	var walk func(ps []Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, t := range p.Targets {
				if e, err := ExpandGrafana(t.Expr, vars); err == nil {
					out = append(out, e)
				}
			}
		}
	}
	walk(d.Panels)
	return out
}
