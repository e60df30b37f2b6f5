package validate_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/sanbao/sanbao/deploy/validate"
)

// dashboards are the uids the production overlay must provision.
var dashboards = []string{"sanbao-overview", "sanbao-kpis", "sanbao-ticket", "sanbao-warranty", "sanbao-dispatch", "sanbao-inventory"}

// dashboardConfigMaps returns the ConfigMaps the Grafana sidecar loads.
func dashboardConfigMaps(m *validate.Manifests) []*corev1.ConfigMap {
	var out []*corev1.ConfigMap
	for _, cm := range m.ConfigMaps {
		if cm.Labels["grafana_dashboard"] == "1" {
			out = append(out, cm)
		}
	}
	return out
}

// TestDashboards renders the production overlay, finds the dashboards the Grafana sidecar would
// load, decodes each as a Grafana dashboard, parses every panel's query with Prometheus's parser
// and checks every metric it selects exists.
func TestDashboards(t *testing.T) {
	m := render(t, "../overlays/production")
	var uids, titles []string
	for _, cm := range dashboardConfigMaps(m) {
		if len(cm.Data) != 1 {
			t.Errorf("ConfigMap/%s: %d files, want one dashboard each", cm.Name, len(cm.Data))
		}
		for file, data := range cm.Data {
			if filepath.Ext(file) != ".json" {
				t.Errorf("ConfigMap/%s: %s is not a .json file (the sidecar loads *.json)", cm.Name, file)
			}
			d, problems := validate.DecodeDashboard([]byte(data))
			for _, p := range problems {
				t.Errorf("ConfigMap/%s %s: %s", cm.Name, file, p)
			}
			if d == nil {
				continue
			}
			if slices.Contains(uids, d.UID) || slices.Contains(titles, d.Title) {
				t.Errorf("ConfigMap/%s: uid %q or title %q used twice", cm.Name, d.UID, d.Title)
			}
			uids, titles = append(uids, d.UID), append(titles, d.Title)
			if !slices.Contains(d.Tags, "sanbao") {
				t.Errorf("%s: not tagged sanbao (the dashboards' links menu lists that tag)", d.UID)
			}
			for _, q := range validate.DashboardQueries(d) {
				used, _ := validate.ParsePromQL(q)
				for _, u := range used {
					if !knownMetric(u) {
						t.Errorf("%s: query %q uses %s, which no service exposes", d.UID, q, u)
					}
				}
			}
		}
	}
	for _, want := range dashboards {
		if !slices.Contains(uids, want) {
			t.Errorf("no dashboard %s", want)
		}
	}
	for _, ov := range overlays[:2] {
		if n := len(dashboardConfigMaps(render(t, ov.dir))); n != 0 {
			t.Errorf("%s: %d dashboard ConfigMaps; only production provisions them", ov.name, n)
		}
	}
}

// TestDashboardFilesAreProvisioned: every JSON file in the component is in a ConfigMap, so a
// new dashboard cannot be forgotten in the kustomization.
func TestDashboardFilesAreProvisioned(t *testing.T) {
	files, err := filepath.Glob("../components/grafana-dashboards/dashboards/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboard files: %v", err)
	}
	var provisioned []string
	for _, cm := range dashboardConfigMaps(render(t, "../overlays/production")) {
		for file := range cm.Data {
			provisioned = append(provisioned, file)
		}
	}
	for _, f := range files {
		if !slices.Contains(provisioned, filepath.Base(f)) {
			t.Errorf("%s is not provisioned by components/grafana-dashboards/kustomization.yaml", f)
		}
	}
}

// TestDecodeDashboardRejects: the checks catch what would break a dashboard in Grafana.
func TestDecodeDashboardRejects(t *testing.T) {
	good, err := os.ReadFile("../components/grafana-dashboards/dashboards/sanbao-overview.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, problems := validate.DecodeDashboard(good); len(problems) > 0 {
		t.Fatalf("the overview does not decode: %v", problems)
	}
	const head = `{"uid":"x","title":"x","schemaVersion":39,"time":{"from":"now-6h","to":"now"},
		"templating":{"list":[{"name":"datasource","type":"datasource","query":"prometheus"}]},"panels":[`
	ds := `"datasource":{"type":"prometheus","uid":"${datasource}"}`
	for name, panels := range map[string]string{
		"bad PromQL":       `{"id":1,"type":"stat","title":"a",` + ds + `,"gridPos":{"h":4,"w":6,"x":0,"y":0},"targets":[{"refId":"A","expr":"sum(rate(x[5m])"}]}`,
		"unknown variable": `{"id":1,"type":"stat","title":"a",` + ds + `,"gridPos":{"h":4,"w":6,"x":0,"y":0},"targets":[{"refId":"A","expr":"x{namespace=\"$namespace\"}"}]}`,
		"off the grid":     `{"id":1,"type":"stat","title":"a",` + ds + `,"gridPos":{"h":4,"w":6,"x":20,"y":0},"targets":[{"refId":"A","expr":"x"}]}`,
		"overlap": `{"id":1,"type":"stat","title":"a",` + ds + `,"gridPos":{"h":4,"w":6,"x":0,"y":0},"targets":[{"refId":"A","expr":"x"}]},
			{"id":2,"type":"stat","title":"b",` + ds + `,"gridPos":{"h":4,"w":6,"x":3,"y":2},"targets":[{"refId":"A","expr":"x"}]}`,
		"duplicate id": `{"id":1,"type":"stat","title":"a",` + ds + `,"gridPos":{"h":4,"w":6,"x":0,"y":0},"targets":[{"refId":"A","expr":"x"}]},
			{"id":1,"type":"stat","title":"b",` + ds + `,"gridPos":{"h":4,"w":6,"x":6,"y":0},"targets":[{"refId":"A","expr":"x"}]}`,
		"fixed datasource": `{"id":1,"type":"stat","title":"a","datasource":{"type":"prometheus","uid":"P1809F7CD0C75ACF3"},"gridPos":{"h":4,"w":6,"x":0,"y":0},"targets":[{"refId":"A","expr":"x"}]}`,
		"unknown type":     `{"id":1,"type":"graph2","title":"a",` + ds + `,"gridPos":{"h":4,"w":6,"x":0,"y":0},"targets":[{"refId":"A","expr":"x"}]}`,
	} {
		if _, problems := validate.DecodeDashboard([]byte(head + panels + "]}")); len(problems) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}
