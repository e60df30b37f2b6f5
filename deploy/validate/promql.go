package validate

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// promql is Prometheus's own PromQL parser with the default (stable) function set.
var promql = parser.NewParser(parser.Options{})

// ParsePromQL parses expr as Prometheus would and returns the metric names it selects, sorted
// and without duplicates.
func ParsePromQL(expr string) ([]string, error) {
	e, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" && !slices.Contains(names, vs.Name) {
			names = append(names, vs.Name)
		}
		return nil
	})
	slices.Sort(names)
	return names, nil
}

// Grafana's global variables and the values a query is parsed with in their place.
var grafanaGlobals = map[string]string{
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__range":         "6h",
	"__interval_ms":   "60000",
	"__range_s":       "21600",
}

// grafanaVar matches $name, ${name} and ${name:format}.
var grafanaVar = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|([A-Za-z0-9_]+))`)

// ExpandGrafana replaces the Grafana variables in a panel's query with sample values so that
// the result is plain PromQL: the global interval and range variables with durations, the
// dashboard's own variables (vars) with "x". It fails on a variable that is neither.
func ExpandGrafana(expr string, vars []string) (string, error) {
	var err error
	out := grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		sub := grafanaVar.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		if v, ok := grafanaGlobals[name]; ok {
			return v
		}
		if slices.Contains(vars, name) {
			return "x"
		}
		if err == nil {
			err = fmt.Errorf("variable $%s is neither a Grafana global nor a variable of the dashboard", name)
		}
		return m
	})
	return out, err
}
