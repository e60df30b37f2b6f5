package console

import (
	"encoding/json"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := fs.ReadFile(Assets(), "i18n/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("i18n/%s.json: %v", lang, err)
	}
	return m
}

// Both catalogues have the same keys, and no text is empty.
func TestCataloguesHaveTheSameKeys(t *testing.T) {
	zh, en := catalogue(t, "zh-CN"), catalogue(t, "en")
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q (zh-CN: %q)", k, zh[k])
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("zh-CN.json lacks %q (en: %q)", k, en[k])
		}
	}
	for lang, m := range map[string]map[string]string{"zh-CN": zh, "en": en} {
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s.json: %q is empty", lang, k)
			}
		}
	}
}

// Every value of every enum of the four services' APIs (which the console shows as the JSON
// API spells them) has a label in both languages; placeholders match between them.
func TestEveryEnumValueHasALabel(t *testing.T) {
	zh, en := catalogue(t, "zh-CN"), catalogue(t, "en")
	n := 0
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		pkg := string(fd.Package())
		if !slices.Contains([]string{"sanbao.ticket.v1", "sanbao.warranty.v1", "sanbao.dispatch.v1", "sanbao.inventory.v1"}, pkg) {
			return true
		}
		var walk func(es protoreflect.EnumDescriptors)
		walk = func(es protoreflect.EnumDescriptors) {
			for i := range es.Len() {
				vs := es.Get(i).Values()
				for j := range vs.Len() {
					v := string(vs.Get(j).Name())
					if strings.HasSuffix(v, "_UNSPECIFIED") {
						continue
					}
					n++
					if zh["enum."+v] == "" || en["enum."+v] == "" {
						t.Errorf("%s.%s = %s: no label (enum.%s) in zh-CN or en", pkg, es.Get(i).Name(), v, v)
					}
				}
			}
		}
		walk(fd.Enums())
		for i := range fd.Messages().Len() {
			walk(fd.Messages().Get(i).Enums())
		}
		return true
	})
	if n < 100 {
		t.Fatalf("found %d enum values: are the APIs registered?", n)
	}
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	for k, z := range zh {
		a, b := ph.FindAllString(z, -1), ph.FindAllString(en[k], -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%q: placeholders zh-CN %v, en %v", k, a, b)
		}
	}
}

// Every catalogue key the scripts name literally is in the catalogue.
func TestScriptsUseOnlyKnownKeys(t *testing.T) {
	zh := catalogue(t, "zh-CN")
	lit := regexp.MustCompile(`t\('([a-zA-Z]+\.[a-zA-Z.]+)'`)
	label := regexp.MustCompile(`'((?:nav|col|act|kpi|survey|upload|approve|cost|coverage|clock|tl|report|field|login|queue|complaint|manager)\.[a-zA-Z_.]+)'`)
	files, err := fs.Glob(Assets(), "js/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := fs.ReadFile(Assets(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{lit, label} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				seen[m[1]] = true
				if _, ok := zh[m[1]]; !ok {
					t.Errorf("%s uses %q, which the catalogue lacks", f, m[1])
				}
			}
		}
	}
	for _, k := range []string{"timeliness_rate", "satisfaction_rate", "complaint_rate", "first_visit_fix_rate", "repeat_failure_rate"} {
		if _, ok := zh["kpi."+k]; !ok {
			t.Errorf("no label for KPI %s", k)
		}
	}
	t.Logf("%d keys named by the scripts, %d in the catalogue", len(seen), len(slices.Collect(maps.Keys(zh))))
}

// The customer's page and the technician's app keep their own wording of some enums (a
// customer is told "received" for a ticket still being triaged): every enum value they name
// must be one the APIs have, so a renamed or misspelt state cannot fall through to its raw
// name on a customer's screen.
func TestPagesNameOnlyRealEnumValues(t *testing.T) {
	values := map[string]bool{}
	protoregistry.GlobalTypes.RangeEnums(func(et protoreflect.EnumType) bool {
		vs := et.Descriptor().Values()
		for i := range vs.Len() {
			values[string(vs.Get(i).Name())] = true
		}
		return true
	})
	if len(values) == 0 {
		t.Fatal("no enums registered")
	}
	name := regexp.MustCompile(`\b(?:TICKET|JOB|REPAIR|COVERAGE|PART|REMEDY)_[A-Z_]+\b`)
	for _, page := range []string{"cust/cust.js", "tech/app.js"} {
		b, err := fs.ReadFile(Assets(), page)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range name.FindAllString(string(b), -1) {
			if !values[v] {
				t.Errorf("%s names %s, which no enum of the APIs has", page, v)
			}
		}
	}
}
