// Package validate renders Sanbao's kustomize overlays and checks every object against policy.
package validate

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// ServiceComponent is the app.kubernetes.io/component label value of the four Sanbao services'
// objects; workloads carrying it get the Sanbao service checks on top of the general ones.
const ServiceComponent = "service"

// Object is one rendered Kubernetes object as JSON.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	JSON       []byte
}

// String names the object as kubectl does: Kind/name.
func (o Object) String() string { return o.Kind + "/" + o.Name }

// Render runs kustomize on the kustomization in dir of fsys and returns its objects in order.
func Render(fsys filesys.FileSystem, dir string) ([]Object, error) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var out []Object
	for _, r := range m.Resources() {
		js, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s/%s as JSON: %w", dir, r.GetKind(), r.GetName(), err)
		}
		out = append(out, Object{
			APIVersion: r.GetApiVersion(),
			Kind:       r.GetKind(),
			Namespace:  r.GetNamespace(),
			Name:       r.GetName(),
			JSON:       js,
		})
	}
	return out, nil
}

// Generic is an object of an allow-listed custom resource kind, decoded without a Go type.
type Generic struct {
	APIVersion string
	Kind       string
	Metadata   metav1.ObjectMeta
	Spec       map[string]any
}

// Manifests is a rendered overlay decoded into the typed Kubernetes API structs.
type Manifests struct {
	Namespaces      []*corev1.Namespace
	ConfigMaps      []*corev1.ConfigMap
	Services        []*corev1.Service
	ServiceAccounts []*corev1.ServiceAccount
	StatefulSets    []*appsv1.StatefulSet
	Deployments     []*appsv1.Deployment
	PDBs            []*policyv1.PodDisruptionBudget
	NetworkPolicies []*networkingv1.NetworkPolicy
	// Custom holds the allow-listed custom resources (ServiceMonitor, PrometheusRule).
	Custom []*Generic
}

// ConfigMap returns the ConfigMap called name, or nil.
func (m *Manifests) ConfigMap(name string) *corev1.ConfigMap {
	for _, c := range m.ConfigMaps {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// StatefulSet returns the StatefulSet called name, or nil.
func (m *Manifests) StatefulSet(name string) *appsv1.StatefulSet {
	for _, s := range m.StatefulSets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Service returns the Service called name, or nil.
func (m *Manifests) Service(name string) *corev1.Service {
	for _, s := range m.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Deployment returns the Deployment called name, or nil.
func (m *Manifests) Deployment(name string) *appsv1.Deployment {
	for _, d := range m.Deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// EnvConfigMap returns the ConfigMap that the first container of sts takes its environment
// from (envFrom), or nil.
func (m *Manifests) EnvConfigMap(sts *appsv1.StatefulSet) *corev1.ConfigMap {
	return m.podEnvConfigMap(&sts.Spec.Template.Spec)
}

func (m *Manifests) podEnvConfigMap(spec *corev1.PodSpec) *corev1.ConfigMap {
	for _, c := range spec.Containers {
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil {
				return m.ConfigMap(ef.ConfigMapRef.Name)
			}
		}
	}
	return nil
}

// Custom-resource kinds the decoder accepts without a Go type, with their required-field checks.
var customKinds = map[string]func(m *Manifests, g *Generic) []string{
	"monitoring.coreos.com/v1/ServiceMonitor": checkServiceMonitor,
	"monitoring.coreos.com/v1/PrometheusRule": checkPrometheusRule,
	"cert-manager.io/v1/Certificate":          checkCertificate,
	"cert-manager.io/v1/Issuer":               checkIssuer,
}

// checkCertificate: a secret, an issuer that exists, and for a Sanbao service's secret the
// spiffe:// URI that names the service (its gRPC and NATS identity).
func checkCertificate(m *Manifests, g *Generic) []string {
	var out []string
	secret, _ := g.Spec["secretName"].(string)
	if secret == "" {
		out = append(out, "spec.secretName is empty")
	}
	ref, _ := g.Spec["issuerRef"].(map[string]any)
	issuer, _ := ref["name"].(string)
	if issuer == "" {
		out = append(out, "spec.issuerRef.name is empty")
	} else if !slices.ContainsFunc(m.Custom, func(o *Generic) bool { return o.Kind == "Issuer" && o.Metadata.Name == issuer }) {
		out = append(out, fmt.Sprintf("spec.issuerRef names no Issuer %q", issuer))
	}
	if svc, ok := strings.CutSuffix(secret, "-tls"); ok && m.StatefulSet(svc) != nil && svc != "nats" {
		uris, _ := g.Spec["uris"].([]any)
		if !slices.Contains(uris, any("spiffe://sanbao/service/"+svc)) {
			out = append(out, fmt.Sprintf("spec.uris lacks spiffe://sanbao/service/%s, the service's identity", svc))
		}
	}
	return out
}

// checkIssuer: an issuer of some kind.
func checkIssuer(_ *Manifests, g *Generic) []string {
	if len(g.Spec) == 0 {
		return []string{"spec is empty"}
	}
	return nil
}

// Decode decodes every object strictly into its typed struct: an unknown, misspelt (field names
// are case-sensitive) or duplicated field is an error, and so is a kind that is neither typed
// here nor an allow-listed custom resource.
func Decode(objs []Object) (*Manifests, error) {
	m := &Manifests{}
	var errs []error
	for _, o := range objs {
		var err error
		switch o.APIVersion + "/" + o.Kind {
		case "v1/Namespace":
			m.Namespaces, err = decodeAppend(o, m.Namespaces)
		case "v1/ConfigMap":
			m.ConfigMaps, err = decodeAppend(o, m.ConfigMaps)
		case "v1/Service":
			m.Services, err = decodeAppend(o, m.Services)
		case "v1/ServiceAccount":
			m.ServiceAccounts, err = decodeAppend(o, m.ServiceAccounts)
		case "apps/v1/StatefulSet":
			m.StatefulSets, err = decodeAppend(o, m.StatefulSets)
		case "apps/v1/Deployment":
			m.Deployments, err = decodeAppend(o, m.Deployments)
		case "policy/v1/PodDisruptionBudget":
			m.PDBs, err = decodeAppend(o, m.PDBs)
		case "networking.k8s.io/v1/NetworkPolicy":
			m.NetworkPolicies, err = decodeAppend(o, m.NetworkPolicies)
		default:
			if _, ok := customKinds[o.APIVersion+"/"+o.Kind]; !ok {
				err = fmt.Errorf("%s: kind %s %s is not allowed (add a typed decoder or allow-list the custom resource)", o, o.APIVersion, o.Kind)
				break
			}
			var g *Generic
			g, err = decodeGeneric(o)
			if err == nil {
				m.Custom = append(m.Custom, g)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return m, errors.Join(errs...)
}

func decodeAppend[T any](o Object, list []*T) ([]*T, error) {
	v := new(T)
	if err := strict(o.JSON, v); err != nil {
		return list, fmt.Errorf("%s: %w", o, err)
	}
	return append(list, v), nil
}

// strict unmarshals data into v case-sensitively, failing on unknown and duplicate fields.
func strict(data []byte, v any) error {
	strictErrs, err := kjson.UnmarshalStrict(data, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if len(strictErrs) > 0 {
		return fmt.Errorf("strict decode: %w", errors.Join(strictErrs...))
	}
	return nil
}

func decodeGeneric(o Object) (*Generic, error) {
	var top map[string]kjsonRaw
	if err := strict(o.JSON, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	g := &Generic{APIVersion: o.APIVersion, Kind: o.Kind}
	for k, raw := range top {
		var err error
		switch k {
		case "apiVersion", "kind":
		case "metadata":
			err = strict(raw, &g.Metadata)
		case "spec":
			err = strict(raw, &g.Spec)
		default:
			err = fmt.Errorf("unknown top-level field %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o, err)
		}
	}
	if g.Spec == nil {
		return nil, fmt.Errorf("%s: no spec", o)
	}
	return g, nil
}

// kjsonRaw defers decoding of a JSON value.
type kjsonRaw []byte

// UnmarshalJSON keeps a copy of the raw value.
func (r *kjsonRaw) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// Check applies the policy to decoded manifests and returns every violation, one error each.
//
// Every workload container must have liveness and readiness probes on a port it declares,
// cpu and memory requests and limits (requests within limits), run as a non-root user with a
// read-only root filesystem, no privilege escalation, all capabilities dropped and the
// RuntimeDefault seccomp profile, and use an image pinned by tag or digest other than latest.
// Every StatefulSet needs a volumeClaimTemplate, a PodDisruptionBudget and a NetworkPolicy;
// every Deployment (stateless: the console) a PodDisruptionBudget and a NetworkPolicy, and the
// console's SANBAO_*_ADDR and SANBAO_*_HTTP peers must be reachable like a service's.
// References (ConfigMaps, ServiceAccounts, volumes, Service target ports, selectors) must
// resolve. Sanbao services (component "service") additionally need exactly one replica,
// SANBAO_* configuration consistent with their ports and volumes, and peers (SANBAO_*_ADDR,
// SANBAO_NATS_URL) that resolve to Services their NetworkPolicies let them reach.
func Check(m *Manifests) []error {
	c := &checker{m: m}
	for _, s := range m.StatefulSets {
		c.statefulSet(s)
	}
	for _, d := range m.Deployments {
		c.deployment(d)
	}
	for _, s := range m.Services {
		c.service(s)
	}
	for _, p := range m.PDBs {
		sel := p.Spec.Selector
		if sel == nil || len(c.workloadsMatching(sel)) == 0 {
			c.failf("PodDisruptionBudget/%s: selector matches no workload", p.Name)
		}
		if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
			c.failf("PodDisruptionBudget/%s: neither minAvailable nor maxUnavailable", p.Name)
		}
	}
	for _, np := range m.NetworkPolicies {
		if len(c.workloadsMatching(&np.Spec.PodSelector)) == 0 {
			c.failf("NetworkPolicy/%s: podSelector matches no workload", np.Name)
		}
	}
	for _, g := range m.Custom {
		for _, msg := range customKinds[g.APIVersion+"/"+g.Kind](m, g) {
			c.failf("%s/%s: %s", g.Kind, g.Metadata.Name, msg)
		}
	}
	return c.errs
}

// Validate decodes objs strictly and checks the policy; the error lists every problem.
func Validate(objs []Object) (*Manifests, error) {
	m, err := Decode(objs)
	if err != nil {
		return m, err
	}
	return m, errors.Join(Check(m)...)
}

type checker struct {
	m    *Manifests
	errs []error
}

func (c *checker) failf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// workload is a StatefulSet or Deployment: its kind/name and pod template.
type workload struct {
	name string
	pod  *corev1.PodTemplateSpec
}

func (c *checker) workloadsMatching(sel *metav1.LabelSelector) []workload {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return nil
	}
	var out []workload
	for _, w := range c.m.StatefulSets {
		if s.Matches(labels.Set(w.Spec.Template.Labels)) {
			out = append(out, workload{"StatefulSet/" + w.Name, &w.Spec.Template})
		}
	}
	for _, w := range c.m.Deployments {
		if s.Matches(labels.Set(w.Spec.Template.Labels)) {
			out = append(out, workload{"Deployment/" + w.Name, &w.Spec.Template})
		}
	}
	return out
}

// ConsoleComponent is the app.kubernetes.io/component label of the web console's objects: its
// Deployment's SANBAO_*_ADDR and SANBAO_*_HTTP peers must be reachable.
const ConsoleComponent = "console"

var peerHTTPKey = regexp.MustCompile(`^SANBAO_[A-Z0-9]+_HTTP$`)

// deployment checks a stateless workload: a selector matching its pods, the pod checks, a
// PodDisruptionBudget and a NetworkPolicy, and for the console its peers.
func (c *checker) deployment(d *appsv1.Deployment) {
	name := "Deployment/" + d.Name
	pod := &d.Spec.Template
	if d.Spec.Selector == nil || !selects(d.Spec.Selector, pod.Labels) {
		c.failf("%s: selector does not match the pod template's labels", name)
	}
	c.podSpec(name, &pod.Spec, nil)
	c.protected(name, pod)
	if pod.Labels["app.kubernetes.io/component"] != ConsoleComponent {
		return
	}
	cm := c.m.podEnvConfigMap(&pod.Spec)
	if cm == nil {
		c.failf("%s: takes no environment from a ConfigMap", name)
		return
	}
	for k, v := range cm.Data {
		switch {
		case peerAddrKey.MatchString(k):
			c.peer(name, pod, k, v)
		case peerHTTPKey.MatchString(k) && v != "":
			u, err := url.Parse(v)
			if err != nil || u.Port() == "" {
				c.failf("%s: %s=%q is not a URL with a port", name, k, v)
				continue
			}
			c.peer(name, pod, k, u.Host)
		}
	}
}

// protected fails a workload whose pods no PodDisruptionBudget and no NetworkPolicy (with
// Ingress and Egress) select.
func (c *checker) protected(name string, pod *corev1.PodTemplateSpec) {
	var pdb, np bool
	for _, p := range c.m.PDBs {
		pdb = pdb || (p.Spec.Selector != nil && selects(p.Spec.Selector, pod.Labels))
	}
	for _, n := range c.m.NetworkPolicies {
		if selects(&n.Spec.PodSelector, pod.Labels) {
			np = np || (slices.Contains(n.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
				slices.Contains(n.Spec.PolicyTypes, networkingv1.PolicyTypeEgress))
		}
	}
	if !pdb {
		c.failf("%s: no PodDisruptionBudget selects its pods", name)
	}
	if !np {
		c.failf("%s: no NetworkPolicy with Ingress and Egress policyTypes selects its pods", name)
	}
}

func selects(sel *metav1.LabelSelector, lbls map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(lbls))
}

func (c *checker) statefulSet(s *appsv1.StatefulSet) {
	name := "StatefulSet/" + s.Name
	pod := &s.Spec.Template
	if s.Spec.Selector == nil || !selects(s.Spec.Selector, pod.Labels) {
		c.failf("%s: selector does not match the pod template's labels", name)
	}
	if s.Spec.ServiceName != "" && c.m.Service(s.Spec.ServiceName) == nil {
		c.failf("%s: serviceName %q is not a Service", name, s.Spec.ServiceName)
	}
	if len(s.Spec.VolumeClaimTemplates) == 0 {
		c.failf("%s: no volumeClaimTemplates", name)
	}
	claims := map[string]bool{}
	for _, v := range s.Spec.VolumeClaimTemplates {
		claims[v.Name] = true
		if q, ok := v.Spec.Resources.Requests[corev1.ResourceStorage]; !ok || q.IsZero() {
			c.failf("%s: volumeClaimTemplate %s requests no storage", name, v.Name)
		}
		if len(v.Spec.AccessModes) == 0 {
			c.failf("%s: volumeClaimTemplate %s has no accessModes", name, v.Name)
		}
	}
	c.podSpec(name, &pod.Spec, claims)
	c.protected(name, pod)
	if pod.Labels["app.kubernetes.io/component"] == ServiceComponent {
		c.sanbaoService(s)
	}
}

func (c *checker) podSpec(name string, spec *corev1.PodSpec, claims map[string]bool) {
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		c.failf("%s: uses the host's network, PID or IPC namespace", name)
	}
	if sa := spec.ServiceAccountName; sa != "" && sa != "default" {
		found := false
		for _, a := range c.m.ServiceAccounts {
			found = found || a.Name == sa
		}
		if !found {
			c.failf("%s: serviceAccountName %q is not a ServiceAccount", name, sa)
		}
	}
	volumes := map[string]bool{}
	for k := range claims {
		volumes[k] = true
	}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
		if v.ConfigMap != nil && !isTrue(v.ConfigMap.Optional) && c.m.ConfigMap(v.ConfigMap.Name) == nil {
			c.failf("%s: volume %s: ConfigMap %q does not exist", name, v.Name, v.ConfigMap.Name)
		}
		if v.HostPath != nil {
			c.failf("%s: volume %s is a hostPath", name, v.Name)
		}
	}
	if len(spec.Containers) == 0 {
		c.failf("%s: no containers", name)
	}
	for i := range spec.InitContainers {
		c.container(name, spec, &spec.InitContainers[i], volumes, false)
	}
	for i := range spec.Containers {
		c.container(name, spec, &spec.Containers[i], volumes, true)
	}
}

func (c *checker) container(wname string, spec *corev1.PodSpec, ct *corev1.Container, volumes map[string]bool, probes bool) {
	name := wname + ": container " + ct.Name
	if msg := imageProblem(ct.Image); msg != "" {
		c.failf("%s: image %q %s", name, ct.Image, msg)
	}
	if probes {
		if ct.LivenessProbe == nil {
			c.failf("%s: no livenessProbe", name)
		}
		if ct.ReadinessProbe == nil {
			c.failf("%s: no readinessProbe", name)
		}
		for kind, p := range map[string]*corev1.Probe{"livenessProbe": ct.LivenessProbe, "readinessProbe": ct.ReadinessProbe, "startupProbe": ct.StartupProbe} {
			if p != nil {
				if msg := probeProblem(ct, p); msg != "" {
					c.failf("%s: %s %s", name, kind, msg)
				}
			}
		}
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := ct.Resources.Requests[r]
		lim, hasLim := ct.Resources.Limits[r]
		if !hasReq || req.IsZero() {
			c.failf("%s: no %s request", name, r)
		}
		if !hasLim || lim.IsZero() {
			c.failf("%s: no %s limit", name, r)
		}
		if hasReq && hasLim && req.Cmp(lim) > 0 {
			c.failf("%s: %s request %s is above the limit %s", name, r, req.String(), lim.String())
		}
	}
	c.security(name, spec.SecurityContext, ct.SecurityContext)
	for _, vm := range ct.VolumeMounts {
		if !volumes[vm.Name] {
			c.failf("%s: volumeMount %s names no volume", name, vm.Name)
		}
	}
	for _, ef := range ct.EnvFrom {
		if ef.ConfigMapRef != nil && !isTrue(ef.ConfigMapRef.Optional) && c.m.ConfigMap(ef.ConfigMapRef.Name) == nil {
			c.failf("%s: envFrom ConfigMap %q does not exist", name, ef.ConfigMapRef.Name)
		}
	}
	for _, e := range ct.Env {
		if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
			ref := e.ValueFrom.ConfigMapKeyRef
			cm := c.m.ConfigMap(ref.Name)
			if !isTrue(ref.Optional) && (cm == nil || !hasKey(cm, ref.Key)) {
				c.failf("%s: env %s: ConfigMap %q has no key %q", name, e.Name, ref.Name, ref.Key)
			}
		}
	}
}

func hasKey(cm *corev1.ConfigMap, key string) bool {
	_, ok := cm.Data[key]
	return ok
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func (c *checker) security(name string, pod *corev1.PodSecurityContext, ct *corev1.SecurityContext) {
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if ct == nil {
		c.failf("%s: no securityContext", name)
		ct = &corev1.SecurityContext{}
	}
	nonRoot := pod.RunAsNonRoot
	if ct.RunAsNonRoot != nil {
		nonRoot = ct.RunAsNonRoot
	}
	if !isTrue(nonRoot) {
		c.failf("%s: runAsNonRoot is not true", name)
	}
	user := pod.RunAsUser
	if ct.RunAsUser != nil {
		user = ct.RunAsUser
	}
	if user == nil || *user == 0 {
		c.failf("%s: runAsUser is unset or 0 (root)", name)
	}
	if !isTrue(ct.ReadOnlyRootFilesystem) {
		c.failf("%s: readOnlyRootFilesystem is not true", name)
	}
	if !isFalse(ct.AllowPrivilegeEscalation) {
		c.failf("%s: allowPrivilegeEscalation is not false", name)
	}
	if isTrue(ct.Privileged) {
		c.failf("%s: privileged", name)
	}
	if ct.Capabilities == nil || !slices.Contains(ct.Capabilities.Drop, "ALL") {
		c.failf("%s: capabilities do not drop ALL", name)
	} else if len(ct.Capabilities.Add) > 0 {
		c.failf("%s: adds capabilities %v", name, ct.Capabilities.Add)
	}
	seccomp := pod.SeccompProfile
	if ct.SeccompProfile != nil {
		seccomp = ct.SeccompProfile
	}
	if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
		c.failf("%s: seccompProfile is not RuntimeDefault or Localhost", name)
	}
}

// imageProblem says what is wrong with an image reference, or "" when it is pinned.
func imageProblem(image string) string {
	if image == "" {
		return "is empty"
	}
	if strings.Contains(image, "@sha256:") {
		return ""
	}
	last := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(last, ":")
	if i < 0 {
		return "has no tag (means latest)"
	}
	if last[i+1:] == "latest" {
		return "uses the latest tag"
	}
	return ""
}

// probeProblem says what is wrong with a probe, or "" when it checks a port the container
// declares.
func probeProblem(ct *corev1.Container, p *corev1.Probe) string {
	switch {
	case p.GRPC != nil:
		if !declaresPort(ct, intstr.FromInt32(p.GRPC.Port)) {
			return fmt.Sprintf("grpc port %d is not a container port", p.GRPC.Port)
		}
	case p.HTTPGet != nil:
		if !declaresPort(ct, p.HTTPGet.Port) {
			return fmt.Sprintf("httpGet port %s is not a container port", p.HTTPGet.Port.String())
		}
	case p.TCPSocket != nil:
		if !declaresPort(ct, p.TCPSocket.Port) {
			return fmt.Sprintf("tcpSocket port %s is not a container port", p.TCPSocket.Port.String())
		}
	case p.Exec != nil:
	default:
		return "has no handler"
	}
	return ""
}

func declaresPort(ct *corev1.Container, port intstr.IntOrString) bool {
	_, ok := containerPort(ct, port)
	return ok
}

// containerPort resolves a named or numeric port against the container's declared ports.
func containerPort(ct *corev1.Container, port intstr.IntOrString) (int32, bool) {
	for _, p := range ct.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// podPort resolves a port against every container of a pod template.
func podPort(spec *corev1.PodSpec, port intstr.IntOrString) (int32, bool) {
	for i := range spec.Containers {
		if n, ok := containerPort(&spec.Containers[i], port); ok {
			return n, true
		}
	}
	return 0, false
}

func (c *checker) service(s *corev1.Service) {
	name := "Service/" + s.Name
	if len(s.Spec.Selector) == 0 {
		c.failf("%s: no selector", name)
		return
	}
	ws := c.workloadsMatching(&metav1.LabelSelector{MatchLabels: s.Spec.Selector})
	if len(ws) == 0 {
		c.failf("%s: selector matches no workload", name)
		return
	}
	for _, p := range s.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port)
		}
		for _, w := range ws {
			if _, ok := podPort(&w.pod.Spec, target); !ok {
				c.failf("%s: port %s targets %s, which %s does not declare", name, p.Name, target.String(), w.name)
			}
		}
	}
}

// SanbaoEnv lists the settings every Sanbao service's ConfigMap must carry.
var SanbaoEnv = []string{"SANBAO_LISTEN", "SANBAO_DATA_DIR", "SANBAO_NATS_URL", "SANBAO_LOG_LEVEL", "SANBAO_METRICS_LISTEN"}

var peerAddrKey = regexp.MustCompile(`^SANBAO_[A-Z0-9]+_ADDR$`)

func (c *checker) sanbaoService(s *appsv1.StatefulSet) {
	name := "StatefulSet/" + s.Name
	if s.Spec.Replicas == nil || *s.Spec.Replicas != 1 {
		c.failf("%s: a Sanbao service must run exactly one replica (its bbolt file is locked exclusively)", name)
	}
	spec := &s.Spec.Template.Spec
	cm := c.m.EnvConfigMap(s)
	if cm == nil {
		c.failf("%s: takes no environment from a ConfigMap", name)
		return
	}
	for _, k := range SanbaoEnv {
		if cm.Data[k] == "" {
			c.failf("%s: ConfigMap %s has no %s", name, cm.Name, k)
		}
	}
	// The listen addresses must be the declared ports.
	for key, portName := range map[string]string{"SANBAO_LISTEN": "grpc", "SANBAO_METRICS_LISTEN": "metrics"} {
		v, ok := cm.Data[key]
		if !ok {
			continue
		}
		port, err := portOf(v)
		want, declared := podPort(spec, intstr.FromString(portName))
		switch {
		case err != nil:
			c.failf("%s: %s=%q: %v", name, key, v, err)
		case !declared:
			c.failf("%s: no container port named %s", name, portName)
		case port != want:
			c.failf("%s: %s=%q but container port %s is %d", name, key, v, portName, want)
		}
	}
	if metrics, ok := podPort(spec, intstr.FromString("metrics")); ok {
		ann := s.Spec.Template.Annotations
		if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(int(metrics)) {
			c.failf("%s: pod annotations prometheus.io/scrape and prometheus.io/port do not point at port %d", name, metrics)
		}
	}
	// The data directory must be on the claimed volume.
	if dir := cm.Data["SANBAO_DATA_DIR"]; dir != "" {
		onClaim := false
		for _, ct := range spec.Containers {
			for _, vm := range ct.VolumeMounts {
				for _, v := range s.Spec.VolumeClaimTemplates {
					onClaim = onClaim || (vm.Name == v.Name && vm.MountPath == dir)
				}
			}
		}
		if !onClaim {
			c.failf("%s: SANBAO_DATA_DIR=%q is not the mount path of a volumeClaimTemplate", name, dir)
		}
	}
	// Draining must fit in the grace period, after the preStop sleep.
	if v := cm.Data["SANBAO_SHUTDOWN_TIMEOUT"]; v != "" {
		d, err := time.ParseDuration(v)
		grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
		if spec.TerminationGracePeriodSeconds != nil {
			grace = *spec.TerminationGracePeriodSeconds
		}
		var sleep int64
		for _, ct := range spec.Containers {
			if ct.Lifecycle != nil && ct.Lifecycle.PreStop != nil && ct.Lifecycle.PreStop.Sleep != nil {
				sleep = max(sleep, ct.Lifecycle.PreStop.Sleep.Seconds)
			}
		}
		switch {
		case err != nil:
			c.failf("%s: SANBAO_SHUTDOWN_TIMEOUT=%q: %v", name, v, err)
		case d+time.Duration(sleep)*time.Second >= time.Duration(grace)*time.Second:
			c.failf("%s: SANBAO_SHUTDOWN_TIMEOUT=%s plus the %ds preStop sleep does not fit in terminationGracePeriodSeconds %d", name, v, sleep, grace)
		}
	}
	// Every peer must be a Service this pod may reach and that lets this pod in.
	for k, v := range cm.Data {
		switch {
		case peerAddrKey.MatchString(k):
			c.peer(name, &s.Spec.Template, k, v)
		case k == "SANBAO_NATS_URL":
			for _, u := range strings.Split(v, ",") {
				u = strings.TrimSpace(u)
				if i := strings.LastIndex(u, "@"); i >= 0 {
					u = u[i+1:] // credentials
				}
				c.peer(name, &s.Spec.Template, k, strings.TrimPrefix(strings.TrimPrefix(u, "nats://"), "tls://"))
			}
		}
	}
}

func portOf(addr string) (int32, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", p, err)
	}
	return int32(n), nil
}

// peer checks that host:port names a Service port whose pods the caller's NetworkPolicies let
// it reach and whose NetworkPolicies let the caller in.
func (c *checker) peer(name string, from *corev1.PodTemplateSpec, key, addr string) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		c.failf("%s: %s=%q: %v", name, key, addr, err)
		return
	}
	port, _ := portOf(addr)
	svc := c.m.Service(host)
	if svc == nil {
		c.failf("%s: %s=%q: no Service %q", name, key, addr, host)
		return
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			sp = &svc.Spec.Ports[i]
		}
	}
	if sp == nil {
		c.failf("%s: %s=%q: Service %s has no port %d", name, key, addr, host, port)
		return
	}
	callees := c.workloadsMatching(&metav1.LabelSelector{MatchLabels: svc.Spec.Selector})
	for _, callee := range callees {
		to := callee.pod
		target := sp.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(sp.Port)
		}
		if !c.allowed(networkingv1.PolicyTypeEgress, from, to, target) {
			c.failf("%s: %s=%q: its NetworkPolicy egress does not allow %s port %s", name, key, addr, callee.name, target.String())
		}
		if !c.allowed(networkingv1.PolicyTypeIngress, to, from, target) {
			c.failf("%s: %s=%q: %s's NetworkPolicy ingress does not admit it on port %s", name, key, addr, callee.name, target.String())
		}
	}
}

// allowed reports whether the NetworkPolicies selecting self let traffic of direction dir pass
// between self and other (in the same namespace) on port of the destination pod. Peers given
// only by namespaceSelector or ipBlock are not assumed to match.
func (c *checker) allowed(dir networkingv1.PolicyType, self, other *corev1.PodTemplateSpec, port intstr.IntOrString) bool {
	dst := other
	if dir == networkingv1.PolicyTypeIngress {
		dst = self
	}
	want, ok := podPort(&dst.Spec, port)
	if !ok {
		return false
	}
	isolated := false
	for _, np := range c.m.NetworkPolicies {
		if !selects(&np.Spec.PodSelector, self.Labels) || !slices.Contains(np.Spec.PolicyTypes, dir) {
			continue
		}
		isolated = true
		type rule struct {
			peers []networkingv1.NetworkPolicyPeer
			ports []networkingv1.NetworkPolicyPort
		}
		var rules []rule
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range np.Spec.Ingress {
				rules = append(rules, rule{r.From, r.Ports})
			}
		} else {
			for _, r := range np.Spec.Egress {
				rules = append(rules, rule{r.To, r.Ports})
			}
		}
		for _, r := range rules {
			peerOK := len(r.peers) == 0
			for _, p := range r.peers {
				if p.PodSelector != nil && p.NamespaceSelector == nil && p.IPBlock == nil {
					s, err := metav1.LabelSelectorAsSelector(p.PodSelector)
					peerOK = peerOK || (err == nil && s.Matches(labels.Set(other.Labels)))
				}
			}
			portOK := len(r.ports) == 0
			for _, p := range r.ports {
				if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
					continue
				}
				if p.Port == nil {
					portOK = true
					continue
				}
				n, ok := podPort(&dst.Spec, *p.Port)
				portOK = portOK || (ok && n == want)
			}
			if peerOK && portOK {
				return true
			}
		}
	}
	return !isolated
}

// ServiceMonitor: a selector that matches Services, endpoints on ports those Services name.
func checkServiceMonitor(m *Manifests, g *Generic) []string {
	var out []string
	sel, _ := g.Spec["selector"].(map[string]any)
	ml, _ := sel["matchLabels"].(map[string]any)
	if len(ml) == 0 {
		return []string{"spec.selector.matchLabels is empty"}
	}
	var matched []*corev1.Service
	for _, s := range m.Services {
		all := true
		for k, v := range ml {
			all = all && s.Labels[k] == v
		}
		if all {
			matched = append(matched, s)
		}
	}
	if len(matched) == 0 {
		out = append(out, "spec.selector matches no Service")
	}
	eps, _ := g.Spec["endpoints"].([]any)
	if len(eps) == 0 {
		out = append(out, "spec.endpoints is empty")
	}
	for i, e := range eps {
		ep, _ := e.(map[string]any)
		port, _ := ep["port"].(string)
		if port == "" {
			out = append(out, fmt.Sprintf("spec.endpoints[%d].port is empty", i))
			continue
		}
		for _, s := range matched {
			if !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == port }) {
				out = append(out, fmt.Sprintf("spec.endpoints[%d].port %q is not a port of Service/%s", i, port, s.Name))
			}
		}
	}
	return out
}

// Keys a Prometheus rule may have.
var ruleKeys = []string{"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}

// Severities an alert may carry.
var severities = []string{"critical", "warning", "info"}

// checkPrometheusRule: groups of alerting rules with an expression Prometheus's parser accepts,
// a valid duration, a severity and the annotations an on-call engineer needs (summary,
// description, runbook_url).
func checkPrometheusRule(_ *Manifests, g *Generic) []string {
	var out []string
	groups, _ := g.Spec["groups"].([]any)
	if len(groups) == 0 {
		return []string{"spec.groups is empty"}
	}
	for gi, gv := range groups {
		grp, _ := gv.(map[string]any)
		if n, _ := grp["name"].(string); n == "" {
			out = append(out, fmt.Sprintf("spec.groups[%d].name is empty", gi))
		}
		rules, _ := grp["rules"].([]any)
		if len(rules) == 0 {
			out = append(out, fmt.Sprintf("spec.groups[%d].rules is empty", gi))
		}
		for ri, rv := range rules {
			where := fmt.Sprintf("spec.groups[%d].rules[%d]", gi, ri)
			r, _ := rv.(map[string]any)
			for k := range r {
				if !slices.Contains(ruleKeys, k) {
					out = append(out, fmt.Sprintf("%s: unknown field %q", where, k))
				}
			}
			alert, _ := r["alert"].(string)
			record, _ := r["record"].(string)
			if (alert == "") == (record == "") {
				out = append(out, where+": needs exactly one of alert and record")
			}
			if e, _ := r["expr"].(string); strings.TrimSpace(e) == "" {
				out = append(out, where+": expr is empty")
			} else if _, err := ParsePromQL(e); err != nil {
				out = append(out, fmt.Sprintf("%s: expr does not parse: %v", where, err))
			}
			for _, k := range []string{"for", "keep_firing_for"} {
				if v, ok := r[k].(string); ok {
					if _, err := model.ParseDuration(v); err != nil {
						out = append(out, fmt.Sprintf("%s: %s %q: %v", where, k, v, err))
					}
				}
			}
			if alert == "" {
				continue
			}
			lbls, _ := r["labels"].(map[string]any)
			if sev, _ := lbls["severity"].(string); !slices.Contains(severities, sev) {
				out = append(out, fmt.Sprintf("%s (%s): labels.severity %q is not one of %v", where, alert, sev, severities))
			}
			anns, _ := r["annotations"].(map[string]any)
			for _, k := range []string{"summary", "description", "runbook_url"} {
				if v, _ := anns[k].(string); v == "" {
					out = append(out, fmt.Sprintf("%s (%s): annotations.%s is empty", where, alert, k))
				}
			}
		}
	}
	return out
}

// Alerts returns the alerting rules of every PrometheusRule: alert name to expression.
func (m *Manifests) Alerts() map[string]string {
	out := map[string]string{}
	for _, g := range m.Custom {
		if g.Kind != "PrometheusRule" {
			continue
		}
		groups, _ := g.Spec["groups"].([]any)
		for _, gv := range groups {
			grp, _ := gv.(map[string]any)
			rules, _ := grp["rules"].([]any)
			for _, rv := range rules {
				r, _ := rv.(map[string]any)
				if a, _ := r["alert"].(string); a != "" {
					out[a], _ = r["expr"].(string)
				}
			}
		}
	}
	return out
}
