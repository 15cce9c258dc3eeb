package kube

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// deployDirs returns the directories to check. Before the first step with
// manifests there are none, and the tests that need some skip, in CI too:
// DeployDirs fails for a step that should have them and doesn't.
func deployDirs(t *testing.T) []string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := DeployDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Skipf("no step has manifests yet (stepNN-*/deploy in %s; WORKSHOP_DEPLOY_DIRS names others)", root)
	}
	return dirs
}

func TestDeployDirs(t *testing.T) {
	t.Setenv("WORKSHOP_DEPLOY_DIRS", "")
	root := t.TempDir()
	for _, d := range []string{"step01-naive", "step08-production/deploy", "step09-services/deploy", "step10-more", "stepXX-odd/deploy", "tools/deploy"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := DeployDirs(root); err == nil || !strings.Contains(err.Error(), "step10-more has no deploy/ directory") {
		t.Errorf("a step 10 without deploy/: error %v", err)
	}
	if err := os.Mkdir(filepath.Join(root, "step10-more", "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	dirs, err := DeployDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, d := range dirs {
		r, _ := filepath.Rel(root, d)
		rel = append(rel, filepath.ToSlash(r))
	}
	if want := []string{"step08-production/deploy", "step09-services/deploy", "step10-more/deploy"}; !slices.Equal(rel, want) {
		t.Errorf("DeployDirs = %q, want %q", rel, want)
	}
}

// TestManifests decodes every document of every deploy/ directory strictly
// and checks what decoding can't see (Check); each directory's
// kustomization.yaml must name every manifest file, and only those.
func TestManifests(t *testing.T) {
	for _, dir := range deployDirs(t) {
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
			ns, resources, err := ReadKustomization(dir)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, pattern := range []string{"*.yaml", "*.yml"} {
				m, _ := filepath.Glob(filepath.Join(dir, pattern))
				for _, f := range m {
					if filepath.Base(f) != Kustomization {
						files = append(files, filepath.Base(f))
					}
				}
			}
			sort.Strings(files)
			sorted := slices.Sorted(slices.Values(resources))
			if !slices.Equal(files, sorted) {
				t.Errorf("%s's resources are %q; the files are %q", Kustomization, sorted, files)
			}
			docs, err := Documents(dir)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, d := range docs {
				if _, err := DecodeStrict(d); err != nil {
					t.Error(err)
				}
				kinds[d.Kind]++
			}
			for _, err := range Check(docs, ns) {
				t.Error(err)
			}
			t.Logf("%d documents in %d files, namespace %q: %v", len(docs), len(files), ns, kinds)
		})
	}
}

// edit returns testdata/app.yaml with old replaced by new, which must be
// there once.
func edit(t *testing.T, old, new string) []Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("testdata/app.yaml holds %q %d times, want once", old, n)
	}
	docs, err := split("app.yaml", []byte(strings.Replace(string(data), old, new, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestDecodeStrict(t *testing.T) {
	docs := edit(t, "replicas: 2", "replicas: 2")
	if len(docs) != 2 || docs[0].Kind != "Deployment" || docs[0].Line != 3 || docs[1].Kind != "Service" || docs[1].Line != 54 {
		t.Fatalf("split: %v", docs)
	}
	for _, d := range docs {
		if _, err := DecodeStrict(d); err != nil {
			t.Errorf("the valid app: %v", err)
		}
	}
	for _, tc := range []struct{ old, new, want string }{
		{"  replicas: 2", "  replica: 2", `unknown field "spec.replica"`},
		{"imagePullPolicy:", "imagePullpolicy:", `unknown field "spec.template.spec.containers[0].imagePullpolicy"`}, // case counts
		{"          readOnlyRootFilesystem: true", "          readOnlyRootFileSystem: true", `unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem"`},
		{"  replicas: 2", "  replicas: 2\n  replicas: 3", `key "replicas" already set`},
		{"  replicas: 2", "  replicas: two", "cannot unmarshal"},
		{"kind: Deployment", "kind: Deploymnet", "no such kind"},
	} {
		_, err := DecodeStrict(edit(t, tc.old, tc.new)[0])
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q → %q: error %v, want one that says %s", tc.old, tc.new, err, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	if errs := Check(edit(t, "replicas: 2", "replicas: 2"), "demo"); len(errs) > 0 {
		t.Fatalf("the valid app: %v", errs)
	}
	for _, tc := range []struct{ old, new, want string }{
		{"runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot"},
		{"allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation"},
		{"readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"},
		{`drop: ["ALL"]`, `drop: ["NET_RAW"]`, "capabilities"},
		{"type: RuntimeDefault", "type: Unconfined", "seccompProfile"},
		{"              memory: 64Mi", "", "no memory limit"},
		{"          readinessProbe:\n            httpGet:\n              path: /metrics\n              port: http\n", "", "probe"},
		{"              port: http\n          resources", "              port: metrics\n          resources", "port metrics"},
		{"clusterIP: None", "type: ClusterIP", "not headless"},
		{"  - name: http\n      port: 8080", "  - name: web\n      port: 8080", "no TCP port named http"},
		{"_tcp.backend.demo", "_tcp.backnd.demo", "no Service backnd"},
		{"http://backend:8080", "http://backend:8081", "has no port 8081"},
		{"namespace: demo\nspec:\n  replicas", "namespace: prod\nspec:\n  replicas", `namespace "prod"`},
	} {
		errs := Check(edit(t, tc.old, tc.new), "demo")
		found := slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), tc.want) })
		if !found {
			t.Errorf("%q → %q: errors %v, want one that says %s", tc.old, tc.new, errs, tc.want)
		}
	}
}
