package validate_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/sanbao/sanbao/deploy/validate"
)

// fixture is a minimal, valid deployment: a Sanbao service "demo" and the event bus "bus" it
// connects to, each with everything the policy asks for.
const fixture = `
apiVersion: v1
kind: ServiceAccount
metadata: {name: demo}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata: {name: demo}
data:
  SANBAO_LISTEN: ":50060"
  SANBAO_DATA_DIR: /data
  SANBAO_NATS_URL: nats://bus:4222
  SANBAO_LOG_LEVEL: info
  SANBAO_METRICS_LISTEN: ":9090"
---
apiVersion: v1
kind: Service
metadata: {name: demo}
spec:
  selector: {app: demo}
  ports:
    - {name: grpc, port: 50060, targetPort: grpc}
    - {name: metrics, port: 9090, targetPort: metrics}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: demo}
spec:
  replicas: 1
  serviceName: demo
  selector: {matchLabels: {app: demo}}
  template:
    metadata:
      labels: {app: demo, app.kubernetes.io/component: service}
      annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9090"}
    spec:
      serviceAccountName: demo
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        fsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: demod
          image: example.com/demod:1.0.0
          envFrom: [{configMapRef: {name: demo}}]
          ports:
            - {name: grpc, containerPort: 50060}
            - {name: metrics, containerPort: 9090}
          livenessProbe: {grpc: {port: 50060}}
          readinessProbe: {grpc: {port: 50060}}
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {cpu: "1", memory: 256Mi}
          securityContext:
            runAsNonRoot: true
            runAsUser: 65532
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: demo}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: demo}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: demo}
spec:
  podSelector: {matchLabels: {app: demo}}
  policyTypes: [Ingress, Egress]
  ingress:
    - ports: [{port: grpc}]
  egress:
    - to: [{podSelector: {matchLabels: {app: bus}}}]
      ports: [{port: 4222}]
---
apiVersion: v1
kind: Service
metadata: {name: bus}
spec:
  selector: {app: bus}
  ports: [{name: client, port: 4222, targetPort: client}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: bus}
spec:
  replicas: 1
  serviceName: bus
  selector: {matchLabels: {app: bus}}
  template:
    metadata: {labels: {app: bus}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: bus
          image: example.com/bus:2.0.0
          ports: [{name: client, containerPort: 4222}, {name: monitor, containerPort: 8222}]
          livenessProbe: {httpGet: {path: /healthz, port: monitor}}
          readinessProbe: {httpGet: {path: /healthz, port: monitor}}
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {cpu: "1", memory: 256Mi}
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: bus}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: bus}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bus}
spec:
  podSelector: {matchLabels: {app: bus}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: demo}}}]
      ports: [{port: client}]
`

// demoPatch is a JSON patch on StatefulSet/demo.
func demoPatch(ops string) string {
	return "  - target: {kind: StatefulSet, name: demo}\n    patch: |-\n" + indent(ops, "      ")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = prefix + strings.TrimLeft(l, "\t")
	}
	return strings.Join(lines, "\n") + "\n"
}

const container = "/spec/template/spec/containers/0"

// TestCheckerRejects proves that the checker fails: each case breaks the valid fixture in one
// way (with a kustomize patch or an extra object) and must be rejected with the right reason.
func TestCheckerRejects(t *testing.T) {
	tests := []struct {
		name    string
		patches string // kustomization patches entries
		extra   string // another resource document
		want    []string
	}{
		{name: "valid fixture passes"},
		{
			name:    "no liveness probe",
			patches: demoPatch(`- {op: remove, path: ` + container + `/livenessProbe}`),
			want:    []string{"StatefulSet/demo: container demod: no livenessProbe"},
		},
		{
			name:    "no readiness probe",
			patches: demoPatch(`- {op: remove, path: ` + container + `/readinessProbe}`),
			want:    []string{"no readinessProbe"},
		},
		{
			name:    "probe on an undeclared port",
			patches: demoPatch(`- {op: replace, path: ` + container + `/readinessProbe/grpc/port, value: 1234}`),
			want:    []string{"readinessProbe grpc port 1234 is not a container port"},
		},
		{
			name:    "no limits",
			patches: demoPatch(`- {op: remove, path: ` + container + `/resources/limits}`),
			want:    []string{"no cpu limit", "no memory limit"},
		},
		{
			name:    "no requests",
			patches: demoPatch(`- {op: remove, path: ` + container + `/resources/requests}`),
			want:    []string{"no cpu request", "no memory request"},
		},
		{
			name:    "request above limit",
			patches: demoPatch(`- {op: replace, path: ` + container + `/resources/requests/memory, value: 1Gi}`),
			want:    []string{"memory request 1Gi is above the limit 256Mi"},
		},
		{
			name: "runs as root",
			patches: demoPatch(`
				- {op: replace, path: /spec/template/spec/securityContext/runAsNonRoot, value: false}
				- {op: replace, path: /spec/template/spec/securityContext/runAsUser, value: 0}
				- {op: replace, path: ` + container + `/securityContext/runAsNonRoot, value: false}
				- {op: replace, path: ` + container + `/securityContext/runAsUser, value: 0}`),
			want: []string{"runAsNonRoot is not true", "runAsUser is unset or 0 (root)"},
		},
		{
			name:    "root by omission",
			patches: "  - target: {kind: StatefulSet, name: bus}\n    patch: |-\n" + indent(`- {op: remove, path: /spec/template/spec/securityContext}`, "      "),
			want:    []string{"StatefulSet/bus: container bus: runAsNonRoot is not true", "runAsUser is unset or 0", "seccompProfile is not RuntimeDefault"},
		},
		{
			name:    "writable root filesystem",
			patches: demoPatch(`- {op: replace, path: ` + container + `/securityContext/readOnlyRootFilesystem, value: false}`),
			want:    []string{"readOnlyRootFilesystem is not true"},
		},
		{
			name:    "privilege escalation allowed",
			patches: demoPatch(`- {op: remove, path: ` + container + `/securityContext/allowPrivilegeEscalation}`),
			want:    []string{"allowPrivilegeEscalation is not false"},
		},
		{
			name:    "capabilities kept",
			patches: demoPatch(`- {op: replace, path: ` + container + `/securityContext/capabilities, value: {add: [NET_ADMIN]}}`),
			want:    []string{"capabilities do not drop ALL"},
		},
		{
			name:    "latest image",
			patches: demoPatch(`- {op: replace, path: ` + container + `/image, value: "example.com/demod:latest"}`),
			want:    []string{`image "example.com/demod:latest" uses the latest tag`},
		},
		{
			name:    "untagged image",
			patches: demoPatch(`- {op: replace, path: ` + container + `/image, value: "example.com:5000/demod"}`),
			want:    []string{"has no tag (means latest)"},
		},
		{
			name:    "no volume claim",
			patches: demoPatch(`- {op: remove, path: /spec/volumeClaimTemplates}`),
			want:    []string{"StatefulSet/demo: no volumeClaimTemplates", "volumeMount data names no volume"},
		},
		{
			name:    "two replicas of a bbolt service",
			patches: demoPatch(`- {op: replace, path: /spec/replicas, value: 2}`),
			want:    []string{"must run exactly one replica"},
		},
		{
			name:    "config without data dir and NATS URL",
			patches: "  - target: {kind: ConfigMap, name: demo}\n    patch: |-\n" + indent("- {op: remove, path: /data/SANBAO_DATA_DIR}\n- {op: remove, path: /data/SANBAO_NATS_URL}", "      "),
			want:    []string{"ConfigMap demo has no SANBAO_DATA_DIR", "ConfigMap demo has no SANBAO_NATS_URL"},
		},
		{
			name:    "data dir off the volume",
			patches: "  - target: {kind: ConfigMap, name: demo}\n    patch: |-\n" + indent("- {op: replace, path: /data/SANBAO_DATA_DIR, value: /var/lib/demo}", "      "),
			want:    []string{`SANBAO_DATA_DIR="/var/lib/demo" is not the mount path of a volumeClaimTemplate`},
		},
		{
			name:    "listen port differs from the container port",
			patches: "  - target: {kind: ConfigMap, name: demo}\n    patch: |-\n" + indent(`- {op: replace, path: /data/SANBAO_LISTEN, value: ":50061"}`, "      "),
			want:    []string{`SANBAO_LISTEN=":50061" but container port grpc is 50060`},
		},
		{
			name:    "drain longer than the grace period",
			patches: "  - target: {kind: ConfigMap, name: demo}\n    patch: |-\n" + indent(`- {op: add, path: /data/SANBAO_SHUTDOWN_TIMEOUT, value: "45s"}`, "      "),
			want:    []string{"SANBAO_SHUTDOWN_TIMEOUT=45s plus the 0s preStop sleep does not fit in terminationGracePeriodSeconds 30"},
		},
		{
			name:    "no disruption budget",
			patches: "  - patch: |-\n" + indent("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: demo}\n$patch: delete", "      "),
			want:    []string{"StatefulSet/demo: no PodDisruptionBudget selects its pods"},
		},
		{
			name:    "no network policy",
			patches: "  - patch: |-\n" + indent("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: demo}\n$patch: delete", "      "),
			want:    []string{"StatefulSet/demo: no NetworkPolicy with Ingress and Egress policyTypes selects its pods"},
		},
		{
			name:    "egress to NATS blocked",
			patches: "  - target: {kind: NetworkPolicy, name: demo}\n    patch: |-\n" + indent("- {op: replace, path: /spec/egress/0/ports/0/port, value: 4223}", "      "),
			want:    []string{`SANBAO_NATS_URL="bus:4222": its NetworkPolicy egress does not allow StatefulSet/bus port client`},
		},
		{
			name:    "second NATS URL names no Service",
			patches: "  - target: {kind: ConfigMap, name: demo}\n    patch: |-\n" + indent(`- {op: replace, path: /data/SANBAO_NATS_URL, value: "nats://u:p@bus:4222,nats://bus2:4222"}`, "      "),
			want:    []string{`SANBAO_NATS_URL="bus2:4222": no Service "bus2"`},
		},
		{
			name:    "NATS does not admit the service",
			patches: "  - target: {kind: NetworkPolicy, name: bus}\n    patch: |-\n" + indent("- {op: replace, path: /spec/ingress/0/from/0/podSelector/matchLabels/app, value: other}", "      "),
			want:    []string{"StatefulSet/bus's NetworkPolicy ingress does not admit it on port client"},
		},
		{
			name:    "service targets an undeclared port",
			patches: "  - target: {kind: Service, name: demo}\n    patch: |-\n" + indent("- {op: replace, path: /spec/ports/1/targetPort, value: prom}", "      "),
			want:    []string{"Service/demo: port metrics targets prom, which StatefulSet/demo does not declare"},
		},
		{
			name:    "misspelt field",
			patches: demoPatch(`- {op: add, path: ` + container + `/securityContext/readOnlyRootFileSystem, value: true}`),
			want:    []string{`StatefulSet/demo: strict decode: unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem"`},
		},
		{
			name:  "kind that is not allowed",
			extra: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec: {}\n",
			want:  []string{"DaemonSet/agent: kind apps/v1 DaemonSet is not allowed"},
		},
		{
			name: "a Deployment without probes, budget or policy, and a console whose peer is no Service",
			extra: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n" +
				"    metadata: {labels: {app: web, app.kubernetes.io/component: console}}\n    spec:\n      containers:\n" +
				"        - {name: web, image: example.com/web:1.0.0, envFrom: [{configMapRef: {name: web}}]}\n" +
				"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {SANBAO_TICKET_ADDR: \"demo:50060\", SANBAO_TICKET_HTTP: \"https://nowhere:8081\"}\n",
			want: []string{"Deployment/web: container web: no livenessProbe", "Deployment/web: no PodDisruptionBudget selects its pods",
				"Deployment/web: no NetworkPolicy with Ingress and Egress", `Deployment/web: SANBAO_TICKET_HTTP="nowhere:8081": no Service "nowhere"`},
		},
		{
			name:  "alert without severity or runbook",
			extra: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n    - name: g\n      rules:\n        - {alert: A, expr: up == 0, annotations: {summary: s, description: d}}\n",
			want:  []string{`(A): labels.severity "" is not one of`, "(A): annotations.runbook_url is empty"},
		},
		{
			name:  "service monitor on a missing port",
			extra: "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: sm}\nspec:\n  selector: {matchLabels: {}}\n  endpoints: [{port: metrics}]\n",
			want:  []string{"ServiceMonitor/sm: spec.selector.matchLabels is empty"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := filesys.MakeFsInMemory()
			kust := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [fixture.yaml"
			if tc.extra != "" {
				kust += ", extra.yaml"
				if err := fs.WriteFile("/app/extra.yaml", []byte(tc.extra)); err != nil {
					t.Fatal(err)
				}
			}
			kust += "]\n"
			if tc.patches != "" {
				kust += "patches:\n" + tc.patches
			}
			for name, data := range map[string]string{"/app/kustomization.yaml": kust, "/app/fixture.yaml": fixture} {
				if err := fs.WriteFile(name, []byte(data)); err != nil {
					t.Fatal(err)
				}
			}
			objs, err := validate.Render(fs, "/app")
			if err != nil {
				t.Fatalf("render: %v\n%s", err, kust)
			}
			_, err = validate.Validate(objs)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("the valid fixture is rejected:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want rejection with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("rejection does not say %q:\n%v", w, err)
				}
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}
