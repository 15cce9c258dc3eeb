package kube

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// deployDirs returns the directories to check, and fails in CI if there are
// none: a check of nothing must not pass there.
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
		if os.Getenv("CI") != "" {
			t.Fatalf("no stepNN-*/deploy directory in %s, nor WORKSHOP_DEPLOY_DIRS: CI must check some manifests", root)
		}
		t.Skipf("no stepNN-*/deploy directory in %s (WORKSHOP_DEPLOY_DIRS names others)", root)
	}
	return dirs
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
