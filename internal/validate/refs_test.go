package validate

import "testing"

const refConfig = `apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {user: app}
data: {password: cGFzcw==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
---
`

func TestReferences(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"all resolve in the bundle", refConfig + `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: runner
      containers:
      - name: web
        image: nginx:1
        env:
        - {name: U, valueFrom: {secretKeyRef: {name: db, key: user}}}
        - {name: P, valueFrom: {secretKeyRef: {name: db, key: password}}}
        - {name: M, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
        envFrom: [{configMapRef: {name: settings}}, {secretRef: {name: db}}]
      volumes:
      - {name: cfg, configMap: {name: settings, items: [{key: mode, path: m}]}}
      - {name: sec, secret: {secretName: db}}
      - name: all
        projected: {sources: [{configMap: {name: settings}}, {secret: {name: db, items: [{key: user, path: u}]}}]}
`, nil},
		{"missing keys and objects fail, optional passes", refConfig + `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: robot
      imagePullSecrets: [{name: regcred}]
      initContainers:
      - name: init
        image: busybox:1
        env: [{name: K, valueFrom: {secretKeyRef: {name: db, key: token}}}]
      containers:
      - name: web
        image: nginx:1
        env:
        - {name: M, valueFrom: {configMapKeyRef: {name: settings, key: speed}}}
        - {name: O, valueFrom: {configMapKeyRef: {name: settings, key: speed, optional: true}}}
        envFrom: [{secretRef: {name: other}}]
      volumes:
      - {name: cfg, configMap: {name: settings, items: [{key: nope, path: m}]}}
      - {name: data, persistentVolumeClaim: {claimName: data}}
`, []string{
			`warn 24: Deployment shop/web: serviceAccountName: ServiceAccount shop/robot not found in the bundle; offline`,
			`warn 25: Deployment shop/web: imagePullSecrets: Secret shop/regcred not found in the bundle; offline`,
			`fail 29: Deployment shop/web: init container "init" env K: key "token" not found in Secret shop/db (in the bundle; it has keys password, user)`,
			`fail 34: Deployment shop/web: container "web" env M: key "speed" not found in ConfigMap shop/settings (in the bundle; it has keys mode)`,
			`warn 36: Deployment shop/web: container "web" envFrom: Secret shop/other not found in the bundle; offline`,
			`fail 38: Deployment shop/web: volume "cfg": key "nope" not found in ConfigMap shop/settings`,
			`warn 39: Deployment shop/web: volume "data": PersistentVolumeClaim shop/data not found in the bundle; offline`,
		}},
		{"cronjob and namespaces", refConfig + `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: other}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: job
            image: busybox:1
            env: [{name: M, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}]
`, []string{`warn 29: CronJob other/nightly: container "job" env M: ConfigMap other/settings not found in the bundle; offline`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runOffline(t, testRelease(t.TempDir()), tc.doc)
			assertProblems(t, familyProblems(r, IDReference), tc.want)
		})
	}
}

func TestOptionalReferenceIsANote(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), refConfig+`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox:1
    env: [{name: O, valueFrom: {secretKeyRef: {name: db, key: missing, optional: true}}}]
`)
	var notes []string
	for _, c := range r.Checks {
		if c.ID == IDReference {
			notes = append(notes, string(c.Status)+": "+c.Message)
		}
	}
	want := []string{
		`pass: Pod shop/p: container "c" env O: key "missing" not found in Secret shop/db (in the bundle; it has keys password, user) (optional: the pod starts without it)`,
		`pass: 1 reference of 1 pod template resolved against the bundle (offline: the cluster was not consulted)`,
	}
	if len(notes) != 2 || notes[0] != want[0] || notes[1] != want[1] {
		t.Fatalf("got %q\nwant %q", notes, want)
	}
}
