// Package kube checks the workshop's Kubernetes manifests: every YAML
// document under a step's deploy/ directory (stepNN-*/deploy), the
// kustomization.yaml aside.
//
//	DeployDirs(root)         the directories to check: stepNN-*/deploy, or WORKSHOP_DEPLOY_DIRS
//	Documents(dir)           the YAML documents of a directory's manifests
//	DecodeStrict(doc)        a document as its k8s.io/api type: an unknown, misspelt or repeated field fails
//	Check(docs, namespace)   what decoding can't see: restricted security contexts, probes and resources, names that point at Services
//
// Its tests run these, and a server-side dry run of every document against
// a real kube-apiserver (apiserver_test.go).
package kube

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Kustomization is the file of a deploy/ directory that is kustomize's, not
// Kubernetes': it is no manifest.
const Kustomization = "kustomization.yaml"

// Root returns the workshop repository's root: dir or the nearest of its
// parents that holds go.work and step01-naive/.
func Root(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if isFile(filepath.Join(d, "go.work")) && isDir(filepath.Join(d, "step01-naive")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside the workshop's repository", abs)
		}
	}
}

// FirstStepWithManifests is the first step that has Kubernetes manifests:
// from it on, every step must have a deploy/ directory.
const FirstStepWithManifests = 9

// DeployDirs returns the directories whose manifests are checked: those
// that WORKSHOP_DEPLOY_DIRS lists (separated as PATH is), or else every
// stepNN-*/deploy of the repository at root. A step from
// FirstStepWithManifests on without one is an error.
func DeployDirs(root string) ([]string, error) {
	if env := os.Getenv("WORKSHOP_DEPLOY_DIRS"); env != "" {
		var dirs []string
		for _, d := range filepath.SplitList(env) {
			if !isDir(d) {
				return nil, fmt.Errorf("WORKSHOP_DEPLOY_DIRS: %s is not a directory", d)
			}
			dirs = append(dirs, d)
		}
		return dirs, nil
	}
	steps, err := filepath.Glob(filepath.Join(root, "step[0-9][0-9]-*"))
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, s := range steps {
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(s), "step")[:2])
		if err != nil || !isDir(s) {
			continue
		}
		deploy := filepath.Join(s, "deploy")
		switch {
		case isDir(deploy):
			dirs = append(dirs, deploy)
		case n >= FirstStepWithManifests:
			return nil, fmt.Errorf("%s has no deploy/ directory: every step from %d on has its Kubernetes manifests there", filepath.Base(s), FirstStepWithManifests)
		}
	}
	return dirs, nil
}

// Document is one YAML document of a manifest file.
type Document struct {
	File string // the file's path
	Line int    // the line where the document starts, from 1
	YAML []byte

	APIVersion, Kind, Name, Namespace string // as written: Namespace may be ""
}

// String names the document as a person finds it: addsvc.yaml:42 (Deployment addsvc).
func (d Document) String() string {
	return fmt.Sprintf("%s:%d (%s %s)", filepath.Base(d.File), d.Line, d.Kind, d.Name)
}

// GVK returns the document's group, version and kind.
func (d Document) GVK() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(d.APIVersion, d.Kind)
}

// JSON returns the document as JSON, as the API server takes it; a key
// written twice is an error.
func (d Document) JSON() ([]byte, error) {
	j, err := yaml.YAMLToJSONStrict(d.YAML)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	return j, nil
}

// Documents returns the YAML documents of dir's *.yaml and *.yml files,
// kustomization.yaml aside, in the order of the files' names. A document
// that holds only comments is left out.
func Documents(dir string) ([]Document, error) {
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	var docs []Document
	for _, f := range files {
		if filepath.Base(f) == Kustomization {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		fileDocs, err := split(f, data)
		if err != nil {
			return nil, err
		}
		docs = append(docs, fileDocs...)
	}
	return docs, nil
}

// split cuts a file into its documents at the lines that are "---".
func split(file string, data []byte) ([]Document, error) {
	var docs []Document
	var cur bytes.Buffer
	start := 1
	flush := func() error {
		if onlyComments(cur.Bytes()) {
			return nil
		}
		// The document's line is its first that is not a comment.
		line := start
		for _, l := range strings.Split(cur.String(), "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				break
			}
			line++
		}
		d := Document{File: file, Line: line, YAML: bytes.Clone(cur.Bytes())}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(d.YAML, &head); err != nil {
			return fmt.Errorf("%s:%d: %w", filepath.Base(file), line, err)
		}
		d.APIVersion, d.Kind, d.Name, d.Namespace = head.APIVersion, head.Kind, head.Metadata.Name, head.Metadata.Namespace
		if d.APIVersion == "" || d.Kind == "" {
			return fmt.Errorf("%s:%d: a document without apiVersion and kind", filepath.Base(file), line)
		}
		docs = append(docs, d)
		return nil
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i, line := range lines {
		if t := strings.TrimRight(line, " \t\r\n"); t == "---" || strings.HasPrefix(t, "--- ") {
			if err := flush(); err != nil {
				return nil, err
			}
			cur.Reset()
			start = i + 2
			continue
		}
		cur.WriteString(line)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return docs, nil
}

func onlyComments(b []byte) bool {
	for _, line := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// scheme knows the types of the API groups that manifests use.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, rbacv1.AddToScheme, networkingv1.AddToScheme,
		policyv1.AddToScheme, autoscalingv2.AddToScheme, batchv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// DecodeStrict decodes the document into its k8s.io/api type, which its
// apiVersion and kind name, as the API server does with
// fieldValidation=Strict: field names are case-sensitive, and a field that
// the type lacks or that is written twice is an error.
func DecodeStrict(d Document) (runtime.Object, error) {
	obj, err := scheme.New(d.GVK())
	if err != nil {
		return nil, fmt.Errorf("%s: no such kind in the API groups known here: %w", d, err)
	}
	j, err := d.JSON()
	if err != nil {
		return nil, err
	}
	strict, err := sigsjson.UnmarshalStrict(j, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: strict decoding error: %w", d, errors.Join(strict...))
	}
	return obj, nil
}

// ReadKustomization returns the namespace and the resources that dir's
// kustomization.yaml names.
func ReadKustomization(dir string) (namespace string, resources []string, err error) {
	data, err := os.ReadFile(filepath.Join(dir, Kustomization))
	if err != nil {
		return "", nil, err
	}
	var k struct {
		Namespace string   `json:"namespace"`
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return "", nil, fmt.Errorf("%s: %w", Kustomization, err)
	}
	return k.Namespace, k.Resources, nil
}

// Check returns what is wrong with a directory's documents that decoding
// can't see (it leaves out those that DecodeStrict refuses), where namespace is the one that kustomize sets ("" for none):
//   - every pod template meets the "restricted" Pod Security Standard, with
//     a read-only root file system, and each container has resource requests
//     and limits, and probes if it has ports;
//   - every document is in namespace, if it is namespaced;
//   - the Services that the containers' arguments and environment name
//     (http://NAME:PORT, and the SRV names _PORT._tcp.NAME.NS.svc.cluster.local)
//     exist with that port; the SRV names' Services are headless.
func Check(docs []Document, namespace string) []error {
	var errs []error
	services := map[string]*corev1.Service{} // by namespace/name
	type podTemplate struct {
		doc  Document
		ns   string
		spec corev1.PodSpec
	}
	var pods []podTemplate
	for _, d := range docs {
		obj, err := DecodeStrict(d)
		if err != nil {
			continue // DecodeStrict's error, which its caller reports
		}
		ns := d.Namespace
		if namespace != "" {
			if ns != "" && ns != namespace && d.Kind != "Namespace" && d.Kind != "ClusterRole" && d.Kind != "ClusterRoleBinding" {
				errs = append(errs, fmt.Errorf("%s: namespace %q, but kustomization.yaml sets %q", d, ns, namespace))
			}
			ns = namespace
		}
		switch o := obj.(type) {
		case *corev1.Service:
			services[ns+"/"+o.Name] = o
		case *appsv1.Deployment:
			pods = append(pods, podTemplate{d, ns, o.Spec.Template.Spec})
		case *appsv1.StatefulSet:
			pods = append(pods, podTemplate{d, ns, o.Spec.Template.Spec})
		case *appsv1.DaemonSet:
			pods = append(pods, podTemplate{d, ns, o.Spec.Template.Spec})
		case *batchv1.Job:
			pods = append(pods, podTemplate{d, ns, o.Spec.Template.Spec})
		}
	}
	for _, p := range pods {
		for _, err := range checkPodSpec(p.spec) {
			errs = append(errs, fmt.Errorf("%s: %w", p.doc, err))
		}
		for _, err := range checkReferences(p.spec, p.ns, services) {
			errs = append(errs, fmt.Errorf("%s: %w", p.doc, err))
		}
	}
	return errs
}

// checkPodSpec checks a pod template against the "restricted" Pod Security
// Standard, and more: a read-only root file system, resources, probes.
func checkPodSpec(spec corev1.PodSpec) []error {
	var errs []error
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		errs = append(errs, errors.New("the pod's securityContext lacks runAsNonRoot: true"))
	}
	if psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		errs = append(errs, errors.New("the pod's securityContext names no runAsUser other than 0"))
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		errs = append(errs, errors.New("the pod's securityContext lacks seccompProfile type RuntimeDefault"))
	}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		sc := c.SecurityContext
		if sc == nil {
			errs = append(errs, fmt.Errorf("container %s has no securityContext", c.Name))
			continue
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			errs = append(errs, fmt.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name))
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			errs = append(errs, fmt.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name))
		}
		if sc.Privileged != nil && *sc.Privileged {
			errs = append(errs, fmt.Errorf("container %s is privileged", c.Name))
		}
		if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) > 0 {
			errs = append(errs, fmt.Errorf("container %s: capabilities are not drop [ALL] with none added", c.Name))
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			errs = append(errs, fmt.Errorf("container %s runs as root", c.Name))
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				errs = append(errs, fmt.Errorf("container %s requests no %s", c.Name, r))
			}
			if _, ok := c.Resources.Limits[r]; !ok {
				errs = append(errs, fmt.Errorf("container %s has no %s limit", c.Name, r))
			}
		}
		if c.ImagePullPolicy == "" {
			errs = append(errs, fmt.Errorf("container %s has no imagePullPolicy (the default for a tag other than latest is IfNotPresent, but say so)", c.Name))
		}
		if len(c.Ports) > 0 && (c.ReadinessProbe == nil || c.LivenessProbe == nil) {
			errs = append(errs, fmt.Errorf("container %s listens but lacks a readiness or a liveness probe", c.Name))
		}
		for _, probe := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
			if probe != nil && probe.HTTPGet != nil && !hasPort(c.Ports, probe.HTTPGet.Port.String()) {
				errs = append(errs, fmt.Errorf("container %s: a probe calls port %s, which the container does not list", c.Name, probe.HTTPGet.Port.String()))
			}
		}
	}
	return errs
}

func hasPort(ports []corev1.ContainerPort, port string) bool {
	for _, p := range ports {
		if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
			return true
		}
	}
	return false
}

var (
	// _http._tcp.stringsvc.gokit-workshop.svc.cluster.local
	srvName = regexp.MustCompile(`_([a-z0-9-]+)\._tcp\.([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local`)
	// http://jaeger:9411/api/v2/spans, grpc://addsvc:8081
	serviceURL = regexp.MustCompile(`[a-z]+://([a-z0-9-]+)(?:\.([a-z0-9-]+))?(?:\.svc(?:\.cluster\.local)?)?:(\d+)`)
)

// checkReferences checks the Services that the containers' arguments and
// environment name.
func checkReferences(spec corev1.PodSpec, ns string, services map[string]*corev1.Service) []error {
	var errs []error
	for _, c := range spec.Containers {
		words := append(append([]string{}, c.Command...), c.Args...)
		for _, e := range c.Env {
			words = append(words, e.Value)
		}
		for _, w := range words {
			for _, m := range srvName.FindAllStringSubmatch(w, -1) {
				port, name, sns := m[1], m[2], m[3]
				svc, ok := services[sns+"/"+name]
				switch {
				case !ok:
					errs = append(errs, fmt.Errorf("container %s names the SRV records %s, but no Service %s is in namespace %s here", c.Name, m[0], name, sns))
				case svc.Spec.ClusterIP != corev1.ClusterIPNone:
					errs = append(errs, fmt.Errorf("container %s reads the SRV records of Service %s, which is not headless (clusterIP: None): they would hold its virtual IP, not the pods", c.Name, name))
				case !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
					return p.Name == port && (p.Protocol == "" || p.Protocol == corev1.ProtocolTCP)
				}):
					errs = append(errs, fmt.Errorf("container %s names the SRV records %s, but Service %s has no TCP port named %s", c.Name, m[0], name, port))
				}
			}
			for _, m := range serviceURL.FindAllStringSubmatch(w, -1) {
				name, sns, port := m[1], m[2], m[3]
				if sns == "" {
					sns = ns
				}
				if name == "localhost" || name == "127" {
					continue
				}
				svc, ok := services[sns+"/"+name]
				if !ok {
					errs = append(errs, fmt.Errorf("container %s calls %s, but no Service %s is in namespace %s here", c.Name, m[0], name, sns))
					continue
				}
				if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return fmt.Sprint(p.Port) == port }) {
					errs = append(errs, fmt.Errorf("container %s calls %s, but Service %s has no port %s", c.Name, m[0], name, port))
				}
			}
		}
	}
	return errs
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
