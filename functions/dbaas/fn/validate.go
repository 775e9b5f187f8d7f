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

package fn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// Storage bounds, the same as the XRD's and the DatabaseInstance's.
const (
	minStorageGB = 1
	maxStorageGB = 65536
)

// spec is the part of an XDatabase's spec the function reads.
type spec struct {
	Engine       string `json:"engine"`
	Version      string `json:"version"`
	Tier         string `json:"tier"`
	SKU          string `json:"sku"`
	Environment  string `json:"environment"`
	StorageGB    int64  `json:"storageGB"`
	DatabaseName string `json:"databaseName"`
}

// A selection is a claim's choices resolved against the catalog.
type selection struct {
	Engine      v1beta1.Engine
	Version     string
	Tier        v1beta1.Tier
	SKU         v1beta1.SKU
	Environment v1beta1.Environment
	StorageGB   int64
}

// resolve looks every choice of a spec up in the catalog. It reports every
// problem at once, so that a claim author fixes the claim in one go rather
// than one field per reconcile.
func resolve(c *v1beta1.Catalog, s spec) (selection, error) {
	var problems []string
	sel := selection{StorageGB: s.StorageGB}

	e, ok := find(c.Engines, engineName, s.Engine)
	if !ok {
		problems = append(problems, notOffered("spec.engine", s.Engine, accepted(c.Engines, engineName)))
	}
	sel.Engine = e

	// A version is only meaningful for a known engine.
	if ok {
		sel.Version = s.Version
		if sel.Version == "" {
			sel.Version = e.DefaultVersion
		}
		if !slices.Contains(e.Versions, sel.Version) {
			problems = append(problems, fmt.Sprintf("spec.version %q is not offered for engine %s: accepted values are %s", sel.Version, e.Name, acceptedOf(e.Versions)))
		}
	}

	if sel.Tier, ok = find(c.Tiers, tierName, s.Tier); !ok {
		problems = append(problems, notOffered("spec.tier", s.Tier, accepted(c.Tiers, tierName)))
	}
	if sel.SKU, ok = find(c.SKUs, skuName, s.SKU); !ok {
		problems = append(problems, notOffered("spec.sku", s.SKU, accepted(c.SKUs, skuName)))
	}
	if sel.Environment, ok = find(c.Environments, environmentName, s.Environment); !ok {
		problems = append(problems, notOffered("spec.environment", s.Environment, accepted(c.Environments, environmentName)))
	}

	// The XRD enforces these bounds too; checking here keeps a bad value from
	// reaching the DatabaseInstance, whose API server would reject it less
	// helpfully.
	if s.StorageGB < minStorageGB || s.StorageGB > maxStorageGB {
		problems = append(problems, fmt.Sprintf("spec.storageGB %d is out of range: it must be between %d and %d", s.StorageGB, minStorageGB, maxStorageGB))
	}

	if len(problems) > 0 {
		return selection{}, errors.New(strings.Join(problems, "; "))
	}
	return sel, nil
}

func notOffered(field, value, accepted string) string {
	return fmt.Sprintf("%s %q is not offered: accepted values are %s", field, value, accepted)
}
