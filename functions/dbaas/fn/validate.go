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
	Engine       string       `json:"engine"`
	Version      string       `json:"version"`
	Tier         string       `json:"tier"`
	SKU          string       `json:"sku"`
	Flavor       string       `json:"flavor"`
	Environment  string       `json:"environment"`
	StorageGB    int64        `json:"storageGB"`
	DatabaseName string       `json:"databaseName"`
	Restore      *restoreSpec `json:"restore"`
}

// A selection is a claim's choices resolved against the catalog.
type selection struct {
	Engine      v1beta1.Engine
	Version     string
	Flavor      v1beta1.Flavor
	Tier        v1beta1.Tier
	SKU         v1beta1.SKU
	Environment v1beta1.Environment
	StorageGB   int64

	// Cost is the estimated monthly cost; nil where the environment has no
	// pricing for the choices.
	Cost *cost
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
		var problem string
		sel.Flavor, problem = resolveFlavor(c, e, s.Flavor)
		if problem != "" {
			problems = append(problems, problem)
		}
	}

	var tierOK, envOK bool
	if sel.Tier, tierOK = find(c.Tiers, tierName, s.Tier); !tierOK {
		problems = append(problems, notOffered("spec.tier", s.Tier, accepted(c.Tiers, tierName)))
	}
	if sel.SKU, ok = find(c.SKUs, skuName, s.SKU); !ok {
		problems = append(problems, notOffered("spec.sku", s.SKU, accepted(c.SKUs, skuName)))
	}
	if sel.Environment, envOK = find(c.Environments, environmentName, s.Environment); !envOK {
		problems = append(problems, notOffered("spec.environment", s.Environment, accepted(c.Environments, environmentName)))
	}

	// Whether an environment offers a tier is only meaningful for a known
	// tier in a known environment.
	if tierOK && envOK {
		if problem := tierInEnvironment(c, sel.Tier, sel.Environment); problem != "" {
			problems = append(problems, problem)
		}
	}

	// The XRD enforces these bounds too; checking here keeps a bad value from
	// reaching the DatabaseInstance, whose API server would reject it less
	// helpfully.
	if s.StorageGB < minStorageGB || s.StorageGB > maxStorageGB {
		problems = append(problems, fmt.Sprintf("spec.storageGB %d is out of range: it must be between %d and %d", s.StorageGB, minStorageGB, maxStorageGB))
	}

	// Prices are only looked up for choices that are all known.
	if len(problems) == 0 {
		var err error
		if sel.Cost, err = estimate(sel); err != nil {
			problems = append(problems, err.Error())
		}
	}

	if len(problems) > 0 {
		return selection{}, errors.New(strings.Join(problems, "; "))
	}
	return sel, nil
}

// resolveFlavor picks the flavor a spec names, or the engine's default. An
// engine the catalog offers no flavor of is plain: its databases get no
// extensions, and a spec need not name a flavor.
func resolveFlavor(c *v1beta1.Catalog, e v1beta1.Engine, name string) (v1beta1.Flavor, string) {
	var ofEngine []string
	for _, f := range c.Flavors {
		if f.Engine == e.Name {
			ofEngine = append(ofEngine, f.Name)
		}
	}
	if name == "" {
		name = e.DefaultFlavor
	}
	if name == "" {
		if len(ofEngine) == 0 {
			return v1beta1.Flavor{Engine: e.Name}, ""
		}
		return v1beta1.Flavor{}, fmt.Sprintf("spec.flavor is required for engine %s, which has no default flavor: accepted values are %s", e.Name, acceptedOf(ofEngine))
	}
	f, ok := find(c.Flavors, flavorName, name)
	switch {
	case !ok:
		return v1beta1.Flavor{}, fmt.Sprintf("spec.flavor %q is not offered for engine %s: accepted values are %s", name, e.Name, acceptedOf(ofEngine))
	case f.Engine != e.Name:
		return v1beta1.Flavor{}, fmt.Sprintf("spec.flavor %q is a flavor of engine %s, not of %s: accepted values are %s", name, f.Engine, e.Name, acceptedOf(ofEngine))
	}
	return f, ""
}

// tierInEnvironment says why an environment does not offer a tier, or
// nothing when it does. The accepted values are the tiers it does offer.
func tierInEnvironment(c *v1beta1.Catalog, t v1beta1.Tier, env v1beta1.Environment) string {
	var offered []string
	for _, ct := range c.Tiers {
		if allowsTier(env, ct) && servesTier(env, ct) {
			offered = append(offered, ct.Name)
		}
	}
	switch {
	case !allowsTier(env, t):
		return fmt.Sprintf("spec.tier %q is not allowed in environment %s: accepted values are %s", t.Name, env.Name, acceptedOf(offered))
	case !servesTier(env, t):
		return fmt.Sprintf("spec.tier %q needs a shared server, which environment %s does not name: accepted values are %s", t.Name, env.Name, acceptedOf(offered))
	}
	return ""
}

// allowsTier is true when the platform team allows the tier in env.
func allowsTier(env v1beta1.Environment, t v1beta1.Tier) bool {
	return len(env.AllowedTiers) == 0 || slices.Contains(env.AllowedTiers, t.Name)
}

// servesTier is true when env has what the tier's topology needs: a shared
// tier needs the environment's shared server.
func servesTier(env v1beta1.Environment, t v1beta1.Tier) bool {
	return t.Topology != v1beta1.TopologyShared || env.SharedServer != nil
}

func notOffered(field, value, accepted string) string {
	return fmt.Sprintf("%s %q is not offered: accepted values are %s", field, value, accepted)
}
