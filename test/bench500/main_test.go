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

package bench500

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestMain prints the benchmark's diagnostics after its results, and
// removes the provider binary that it built, if any.
func TestMain(m *testing.M) {
	// envtest logs through controller-runtime's logger, which otherwise
	// complains, with a stack trace on stderr, in the middle of a result
	// line.
	ctrllog.SetLogger(logr.Discard())
	code := m.Run()
	printDiagnostics()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
