package validate_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/sanbao/sanbao/deploy/validate"
)

// service is what the manifests must say about one Sanbao service.
type service struct {
	name  string
	port  int32
	peers map[string]string // SANBAO_*_ADDR settings
}

var services = []service{
	{"ticket", 50051, map[string]string{"SANBAO_WARRANTY_ADDR": "warranty:50052", "SANBAO_DISPATCH_ADDR": "dispatch:50053"}},
	{"warranty", 50052, nil},
	{"dispatch", 50053, map[string]string{"SANBAO_INVENTORY_ADDR": "inventory:50054"}},
	{"inventory", 50054, nil},
}

type overlay struct {
	name      string
	dir       string
	namespace string // "" for the base
	// natsReplicas is the NATS StatefulSet's replica count; a cluster block is required iff > 1.
	natsReplicas int32
	// streamReplicas is SANBAO_STREAM_REPLICAS in every service's ConfigMap ("" = unset).
	streamReplicas string
	custom         []string // kinds of custom resources that must be present
}

var overlays = []overlay{
	{name: "base", dir: "../base", natsReplicas: 3},
	{name: "dev", dir: "../overlays/dev", namespace: "sanbao-dev", natsReplicas: 1, streamReplicas: "1",
		custom: []string{"Certificate", "Issuer"}},
	{name: "production", dir: "../overlays/production", namespace: "sanbao", natsReplicas: 3, streamReplicas: "3",
		custom: []string{"ServiceMonitor", "PrometheusRule", "Certificate", "Issuer"}},
}

func render(t *testing.T, dir string) *validate.Manifests {
	t.Helper()
	objs, err := validate.Render(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := validate.Validate(objs)
	if err != nil {
		t.Fatalf("%s does not validate:\n%v", dir, err)
	}
	return m
}

// TestOverlays renders every overlay, decodes every object strictly into its Kubernetes type,
// runs the policy checks and then checks what each overlay must contain.
func TestOverlays(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			objs, err := validate.Render(filesys.MakeFsOnDisk(), ov.dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := validate.Validate(objs)
			if err != nil {
				t.Fatalf("%s does not validate:\n%v", ov.dir, err)
			}
			for _, o := range objs {
				if o.Kind != "Namespace" && o.Namespace != ov.namespace {
					t.Errorf("%s: namespace %q, want %q", o, o.Namespace, ov.namespace)
				}
			}
			if ov.namespace != "" && !slices.ContainsFunc(m.Namespaces, func(n *corev1.Namespace) bool { return n.Name == ov.namespace }) {
				t.Errorf("no Namespace %s", ov.namespace)
			}
			for _, svc := range services {
				checkService(t, m, ov, svc)
			}
			checkNATS(t, m, ov)
			for _, kind := range ov.custom {
				if !slices.ContainsFunc(m.Custom, func(g *validate.Generic) bool { return g.Kind == kind }) {
					t.Errorf("no %s", kind)
				}
			}
			if len(ov.custom) == 0 && len(m.Custom) > 0 {
				t.Errorf("custom resources %v in an overlay that must work without CRDs", m.Custom[0].Kind)
			}
		})
	}
}

func checkService(t *testing.T, m *validate.Manifests, ov overlay, svc service) {
	t.Helper()
	sts := m.StatefulSet(svc.name)
	if sts == nil {
		t.Errorf("no StatefulSet %s", svc.name)
		return
	}
	if sts.Spec.Template.Labels["app.kubernetes.io/component"] != validate.ServiceComponent {
		t.Errorf("StatefulSet/%s: not labelled app.kubernetes.io/component=%s, so the service checks were skipped", svc.name, validate.ServiceComponent)
	}
	if sts.Spec.Template.Labels["app.kubernetes.io/part-of"] != "sanbao" {
		t.Errorf("StatefulSet/%s: pods not labelled app.kubernetes.io/part-of=sanbao", svc.name)
	}
	if img := sts.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(img, "ghcr.io/sanbao/"+svc.name+":") {
		t.Errorf("StatefulSet/%s: image %q, want ghcr.io/sanbao/%s:<version> (what make images IMAGE_PREFIX=ghcr.io/sanbao builds)", svc.name, img, svc.name)
	}
	svcObj := m.Service(svc.name)
	if svcObj == nil {
		t.Errorf("no Service %s", svc.name)
	} else if !slices.ContainsFunc(svcObj.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "grpc" && p.Port == svc.port }) {
		t.Errorf("Service/%s: no grpc port %d", svc.name, svc.port)
	}
	for kind, found := range map[string]bool{
		"PodDisruptionBudget": slices.ContainsFunc(m.PDBs, func(p *policyv1.PodDisruptionBudget) bool { return p.Name == svc.name }),
		"NetworkPolicy":       slices.ContainsFunc(m.NetworkPolicies, func(p *networkingv1.NetworkPolicy) bool { return p.Name == svc.name }),
		"ServiceAccount":      slices.ContainsFunc(m.ServiceAccounts, func(a *corev1.ServiceAccount) bool { return a.Name == svc.name }),
	} {
		if !found {
			t.Errorf("no %s %s", kind, svc.name)
		}
	}
	cm := m.EnvConfigMap(sts)
	if cm == nil {
		t.Errorf("StatefulSet/%s: no ConfigMap", svc.name)
		return
	}
	want := map[string]string{
		"SANBAO_LISTEN":         ":" + strconv.Itoa(int(svc.port)),
		"SANBAO_DATA_DIR":       "/data",
		"SANBAO_NATS_URL":       "tls://nats:4222",
		"SANBAO_TLS_CERT":       "/tls/tls.crt",
		"SANBAO_TLS_KEY":        "/tls/tls.key",
		"SANBAO_TLS_CA":         "/tls/ca.crt",
		"SANBAO_HEALTH_LISTEN":  ":8086",
		"SANBAO_METRICS_LISTEN": ":9090",
	}
	if ov.streamReplicas != "" {
		want["SANBAO_STREAM_REPLICAS"] = ov.streamReplicas
	}
	for k, v := range svc.peers {
		want[k] = v
	}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("ConfigMap/%s: %s=%q, want %q", cm.Name, k, cm.Data[k], v)
		}
	}
	for k := range cm.Data {
		if strings.HasSuffix(k, "_ADDR") && svc.peers[k] == "" {
			t.Errorf("ConfigMap/%s: unexpected peer %s", cm.Name, k)
		}
	}
	if ov.streamReplicas != "" {
		n, err := strconv.Atoi(ov.streamReplicas)
		if err != nil || int32(n) > ov.natsReplicas {
			t.Errorf("SANBAO_STREAM_REPLICAS=%s exceeds the %d NATS nodes", ov.streamReplicas, ov.natsReplicas)
		}
	}
}

// checkNATS checks the NATS StatefulSet and loads its configuration with nats-server's own
// parser, as the server will at start-up.
func checkNATS(t *testing.T, m *validate.Manifests, ov overlay) {
	t.Helper()
	sts := m.StatefulSet("nats")
	if sts == nil {
		t.Error("no StatefulSet nats")
		return
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != ov.natsReplicas {
		t.Errorf("StatefulSet/nats: replicas %v, want %d", sts.Spec.Replicas, ov.natsReplicas)
	}
	var cm *corev1.ConfigMap
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			cm = m.ConfigMap(v.ConfigMap.Name)
		}
	}
	if cm == nil || cm.Data["nats.conf"] == "" {
		t.Error("StatefulSet/nats: no ConfigMap with nats.conf")
		return
	}
	// Every file of the ConfigMap beside nats.conf (it includes authorization.conf), and a
	// certificate where the pod mounts the nats-tls secret.
	dir := t.TempDir()
	tlsDir := selfSigned(t)
	for name, data := range cm.Data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(data, "/tls/", tlsDir+"/")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "nats.conf")
	t.Setenv("SERVER_NAME", "nats-0")
	opts, err := server.ProcessConfigFile(file)
	if err != nil {
		t.Errorf("nats.conf does not load: %v", err)
		return
	}
	if !opts.TLSMap || opts.TLSConfig == nil || opts.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Error("nats.conf: clients are not verified and mapped to users by their certificates (tls.verify_and_map)")
	}
	users := map[string]bool{}
	for _, u := range opts.Users {
		users[u.Username] = u.Permissions != nil && u.Permissions.Publish != nil
	}
	for _, svc := range services {
		if !users["spiffe://sanbao/service/"+svc.name] {
			t.Errorf("nats.conf: no user with permissions for %s", svc.name)
		}
	}
	if ov.natsReplicas > 1 && opts.Cluster.TLSConfig == nil {
		t.Error("nats.conf: cluster routes without TLS")
	}
	if opts.ServerName != "nats-0" {
		t.Errorf("nats.conf: server_name %q, want it from $SERVER_NAME", opts.ServerName)
	}
	if !opts.JetStream || !opts.SyncAlways {
		t.Errorf("nats.conf: jetstream %v, sync_interval always %v; want both", opts.JetStream, opts.SyncAlways)
	}
	mounts := map[string]string{}
	for _, vm := range sts.Spec.Template.Spec.Containers[0].VolumeMounts {
		mounts[vm.MountPath] = vm.Name
	}
	if len(sts.Spec.VolumeClaimTemplates) == 0 || mounts[opts.StoreDir] != sts.Spec.VolumeClaimTemplates[0].Name {
		t.Errorf("nats.conf: store_dir %q is not the claimed volume's mount path", opts.StoreDir)
	} else {
		size := sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]
		if opts.JetStreamMaxStore <= 0 || opts.JetStreamMaxStore >= size.Value() {
			t.Errorf("nats.conf: max_file_store %d must be set and below the volume's %s", opts.JetStreamMaxStore, size.String())
		}
	}
	if lim := sts.Spec.Template.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory]; opts.JetStreamMaxMemory >= lim.Value() {
		t.Errorf("nats.conf: max_memory_store %d is not below the memory limit %s", opts.JetStreamMaxMemory, lim.String())
	}
	if grace := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; grace == nil ||
		opts.LameDuckDuration+opts.LameDuckGracePeriod >= time.Duration(*grace)*time.Second {
		t.Errorf("nats.conf: lame duck %v + grace %v does not fit in terminationGracePeriodSeconds %v",
			opts.LameDuckDuration, opts.LameDuckGracePeriod, grace)
	}
	clustered := opts.Cluster.Port != 0
	if clustered != (ov.natsReplicas > 1) {
		t.Errorf("nats.conf: cluster block %v with %d replicas", clustered, ov.natsReplicas)
	}
	if clustered {
		if opts.Cluster.Name == "" {
			t.Error("nats.conf: cluster has no name")
		}
		var want []string
		for i := range ov.natsReplicas {
			want = append(want, fmt.Sprintf("nats-%d.%s:%d", i, sts.Spec.ServiceName, opts.Cluster.Port))
		}
		var got []string
		for _, r := range opts.Routes {
			got = append(got, r.Host)
		}
		if !slices.Equal(got, want) {
			t.Errorf("nats.conf: routes %v, want %v (one per pod, through the headless Service)", got, want)
		}
		if hs := m.Service(sts.Spec.ServiceName); hs == nil || hs.Spec.ClusterIP != corev1.ClusterIPNone || !hs.Spec.PublishNotReadyAddresses {
			t.Errorf("StatefulSet/nats: serviceName %q must be a headless Service publishing not-ready addresses", sts.Spec.ServiceName)
		}
	}
	if got := probePath(sts, "liveness"); got != "/healthz?js-enabled-only=true" {
		t.Errorf("StatefulSet/nats: liveness probe path %q", got)
	}
}

func probePath(sts *appsv1.StatefulSet, which string) string {
	c := sts.Spec.Template.Spec.Containers[0]
	p := c.ReadinessProbe
	if which == "liveness" {
		p = c.LivenessProbe
	}
	if p == nil || p.HTTPGet == nil {
		return ""
	}
	return p.HTTPGet.Path
}

// Metrics the services expose (names fixed by the platform and go-grpc-middleware's provider);
// alerts, dashboards and docs may use only these.
var metrics = []string{
	"grpc_server_handled_total",
	"grpc_server_handling_seconds",
	"grpc_client_handled_total",
	"grpc_client_handling_seconds",
	"sanbao_outbox_depth",
	"sanbao_outbox_oldest_age_seconds",
	"sanbao_outbox_published_total",
	"sanbao_consumer_lag_messages",
	"sanbao_consumer_handled_total",
	"sanbao_dead_letters",
	"sanbao_dead_letters_total",
	"sanbao_sla_breaches_total",
	"sanbao_store_size_bytes",
	"sanbao_ready",
}

// Metrics of the Go runtime and process collectors the dashboards use.
var runtimeMetrics = []string{
	"go_goroutines", "go_memstats_heap_inuse_bytes",
	"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
}

// Metrics that come from Prometheus itself or the kubelet, not from Sanbao.
var externalMetrics = []string{"up", "kubelet_volume_stats_capacity_bytes"}

// knownMetric reports whether name (maybe a histogram's _bucket, _sum or _count series) is a
// metric some process exposes.
func knownMetric(name string) bool {
	for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
		base := strings.TrimSuffix(name, suffix)
		if (suffix == "" || base != name) && (slices.Contains(metrics, base) || slices.Contains(runtimeMetrics, base) || slices.Contains(externalMetrics, base)) {
			return true
		}
	}
	return false
}

// TestAlertsUseKnownMetrics parses every alert with Prometheus's parser (the policy check does
// too) and catches a misspelt metric, which would never fire.
func TestAlertsUseKnownMetrics(t *testing.T) {
	m := render(t, "../overlays/production")
	alerts := m.Alerts()
	if len(alerts) == 0 {
		t.Fatal("no alerts")
	}
	for name, expr := range alerts {
		used, err := validate.ParsePromQL(expr)
		if err != nil {
			t.Errorf("alert %s: %v", name, err)
		}
		for _, u := range used {
			if !knownMetric(u) {
				t.Errorf("alert %s uses %s, which no service exposes", name, u)
			}
		}
	}
}

// TestAlertsCoverFailureModes: an alert watches each failure mode the runbook knows.
func TestAlertsCoverFailureModes(t *testing.T) {
	alerts := render(t, "../overlays/production").Alerts()
	for mode, metric := range map[string]string{
		"outbox not draining (depth)": "sanbao_outbox_depth",
		"outbox not draining (age)":   "sanbao_outbox_oldest_age_seconds",
		"consumer lag":                "sanbao_consumer_lag_messages",
		"dead letters parked":         "sanbao_dead_letters",
		"dead letters rising":         "sanbao_dead_letters_total",
		"SLA breaches":                "sanbao_sla_breaches_total",
		"readiness lost":              "sanbao_ready",
		"bbolt file growth":           "sanbao_store_size_bytes",
	} {
		found := false
		for _, expr := range alerts {
			used, _ := validate.ParsePromQL(expr)
			found = found || slices.Contains(used, metric)
		}
		if !found {
			t.Errorf("no alert for %s (on %s)", mode, metric)
		}
	}
}

// TestReadmeDocumentsEverything: every alert has a section (the runbook_url anchors point at
// it), and every metric and every SANBAO_* setting the overlays use is described.
func TestReadmeDocumentsEverything(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	m := render(t, "../overlays/production")
	for name := range m.Alerts() {
		if !strings.Contains(readme, "\n### "+name+"\n") {
			t.Errorf("README.md has no section \"### %s\"", name)
		}
	}
	for _, g := range m.Custom {
		for _, url := range regexp.MustCompile(`README\.md#([a-z0-9-]+)`).FindAllStringSubmatch(fmt.Sprint(g.Spec), -1) {
			found := false
			for name := range m.Alerts() {
				found = found || strings.ToLower(name) == url[1]
			}
			if !found {
				t.Errorf("runbook_url anchor #%s names no alert", url[1])
			}
		}
	}
	for _, name := range metrics {
		if !strings.Contains(readme, "`"+name) {
			t.Errorf("README.md does not describe metric %s", name)
		}
	}
	keys := map[string]bool{}
	for _, ov := range overlays {
		for _, cm := range render(t, ov.dir).ConfigMaps {
			for k := range cm.Data {
				if strings.HasPrefix(k, "SANBAO_") {
					keys[k] = true
				}
			}
		}
	}
	for k := range keys {
		if !strings.Contains(readme, "`"+k+"`") {
			t.Errorf("README.md does not describe setting %s", k)
		}
	}
}

// selfSigned writes a self-signed tls.crt, tls.key and ca.crt into a temp dir (nats.conf's
// tls block loads them).
func selfSigned(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nats"}, DNSNames: []string{"nats"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for name, b := range map[string][]byte{"tls.crt": cert, "ca.crt": cert, "tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
