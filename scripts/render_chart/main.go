// Command render_chart renders a Helm chart's templates like `helm template`, for tests on machines without
// helm: Go text/template + sprig (Debian's golang-github-masterminds-sprig-dev) + Helm's own helpers
// (include, tpl, required, toYaml, fromYaml, toJson, lookup). Built in GOPATH mode against Debian's Go
// packages, so it needs no module download.
//
//	render_chart -chart charts/talosctl-oidc [-f values.yaml]... [-release NAME] [-namespace NS] [-notes]
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	yaml2 "gopkg.in/yaml.v2"
	"gopkg.in/yaml.v3"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

func readYAML(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return out, nil
}

// mergeValues deep-merges src over dst like `helm -f`: maps merge, anything else replaces, null deletes.
func mergeValues(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = mergeValues(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
}

// toYAML mirrors Helm's toYaml (sigs.k8s.io/yaml: yaml.v2 output, sorted keys, no trailing newline).
func toYAML(v interface{}) string {
	data, err := yaml2.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

type capabilities struct{ KubeVersion map[string]string }

func main() {
	var files valueFiles
	chart := flag.String("chart", "", "chart directory")
	release := flag.String("release", "talosctl-oidc", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "print the rendered NOTES.txt instead of the manifests")
	flag.Var(&files, "f", "values file (repeatable, later wins)")
	flag.Parse()
	if err := run(*chart, *release, *namespace, files, *notes); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(chartDir, release, namespace string, files []string, notes bool) error {
	if chartDir == "" {
		return errors.New("-chart is required")
	}
	meta, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		extra, err := readYAML(f)
		if err != nil {
			return err
		}
		values = mergeValues(values, extra)
	}
	name := fmt.Sprint(meta["name"])
	chartObj := map[string]interface{}{"Name": name, "Version": meta["version"], "AppVersion": meta["appVersion"]}
	top := map[string]interface{}{
		"Values":       values,
		"Chart":        chartObj,
		"Release":      map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Capabilities": capabilities{KubeVersion: map[string]string{"Version": "v1.31.0", "Major": "1", "Minor": "31"}},
		"Template":     map[string]interface{}{"BasePath": name + "/templates", "Name": ""},
	}

	root := template.New("chart").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env") // Helm removes these: a chart must not read the renderer's environment
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["lookup"] = func(...interface{}) map[string]interface{} { return map[string]interface{}{} }
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	root.Funcs(funcs)

	paths, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	var manifests []string
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		tname := name + "/templates/" + filepath.Base(p)
		if _, err := root.New(tname).Parse(string(text)); err != nil {
			return err
		}
		base := filepath.Base(p)
		if !strings.HasPrefix(base, "_") && (strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) {
			manifests = append(manifests, tname)
		}
	}

	render := func(tname string) (string, error) {
		top["Template"] = map[string]interface{}{"BasePath": name + "/templates", "Name": tname}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, tname, top); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	if notes {
		out, err := render(name + "/templates/NOTES.txt")
		fmt.Print(out)
		return err
	}
	for _, tname := range manifests {
		out, err := render(tname)
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", tname, strings.Trim(out, "\n"))
	}
	return nil
}
