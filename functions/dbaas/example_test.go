/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dbaas-io/dbaas/functions/dbaas/fn"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// crankBin is the Crossplane CLI that `make build` (through `make tools`)
// puts in the repository's .cache/bin, relative to this package.
var crankBin = filepath.Join("..", "..", ".cache", "bin", "crank")

// TestExampleRenders runs `crossplane render` on example/ as `make render`
// does, against the function of this tree served in-process, so the example
// cannot rot: it must keep rendering the platform's Composition, with the
// platform's catalog as the EnvironmentConfigs the function requires, into
// the resources the function composes.
func TestExampleRenders(t *testing.T) {
	integration.Needs(t, "crank from .cache/bin (make build)")
	crank, err := filepath.Abs(crankBin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(crank); err != nil {
		t.Fatalf("%s is missing: run `make build` first", crank)
	}

	// A port of its own, so that the test runs beside `make render` or
	// another test run; the annotation flag points crank at it.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fnv1.RegisterFunctionRunnerServiceServer(srv, fn.NewFunction(logging.NewNopLogger()))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, crank, "render", "xr.yaml", "composition.yaml", "functions.yaml",
		"--required-resources=catalog",
		"-a", "render.crossplane.io/runtime-development-target="+lis.Addr().String())
	cmd.Dir = "example"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("crank render: %v\n%s", err, stderr.String())
	}

	want := []string{
		"engine.dbaas.io/v1alpha1 DatabaseInstance team-a/orders-instance",
		"platform.dbaas.io/v1alpha1 Database team-a/orders",
		"sql.dbaas.io/v1alpha1 Database team-a/orders-database",
		"sql.dbaas.io/v1alpha1 User team-a/orders-user",
		"compute.dbaas.io/v1alpha1 VirtualMachine team-a/orders-vm",
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, rendered(t, out)); diff != "" {
		t.Errorf("crank render of example/: -want, +got:\n%s\noutput:\n%s", diff, out)
	}
}

// rendered lists the objects of render's YAML stream as
// "apiVersion kind namespace/name", sorted.
func rendered(t *testing.T, out []byte) []string {
	t.Helper()
	var got []string
	for _, doc := range strings.Split(string(out), "\n---\n") {
		obj := struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}{}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("cannot read render's output: %v\n%s", err, doc)
		}
		if obj.Kind == "" {
			continue
		}
		name := obj.Metadata.Name
		if obj.Metadata.Namespace != "" {
			name = obj.Metadata.Namespace + "/" + name
		}
		got = append(got, obj.APIVersion+" "+obj.Kind+" "+name)
	}
	sort.Strings(got)
	return got
}
