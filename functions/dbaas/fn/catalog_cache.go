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
	"slices"

	"k8s.io/utils/lru"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// catalogCacheSize bounds how many distinct catalogs a function keeps
// decoded. A platform has one catalog, or a few when Compositions select
// different labels; while an EnvironmentConfig is being changed, core may
// send its old and new versions in turns for a while.
const catalogCacheSize = 16

// A decodedCatalog is what a catalog's EnvironmentConfigs decode to: the
// catalog, and the problems that keep it from being used.
type decodedCatalog struct {
	catalog  *v1beta1.Catalog
	problems []string
}

// A catalogCache keeps the catalogs decoded from EnvironmentConfigs, keyed by
// the EnvironmentConfigs exactly as core sent them. Core sends the same
// catalog on every call of every composite resource, and decoding it
// (strictly, entry by entry, then checking it) is most of a call's work.
// An EnvironmentConfig that changes in any byte, its resourceVersion
// included, is another key, so a changed catalog is decoded on the next
// call. It is safe for concurrent calls: gRPC serves each on its own
// goroutine.
type catalogCache struct {
	decoded *lru.Cache
}

func newCatalogCache(size int) *catalogCache {
	return &catalogCache{decoded: lru.New(size)}
}

// decode returns the catalog the request's answered catalog requirement
// holds, and its problems. The catalog returned is the caller's own: a call
// that changed it would otherwise change what the next call, of any
// namespace, composes from.
func (c *catalogCache) decode(req *fnv1.RunFunctionRequest) (*v1beta1.Catalog, []string, error) {
	key := keyOf(req.GetRequiredResources()[requiredCatalog].GetItems())
	if v, ok := c.decoded.Get(key); ok {
		d := v.(decodedCatalog) //nolint:forcetypeassert // The cache holds nothing else.
		return d.catalog.DeepCopy(), slices.Clone(d.problems), nil
	}

	configs, _, err := request.GetRequiredResource(req, requiredCatalog)
	if err != nil {
		return nil, nil, err
	}
	cat, from, problems := decodeCatalog(configs)
	problems = append(problems, checkCatalog(cat, from)...)
	c.decoded.Add(key, decodedCatalog{catalog: cat, problems: problems})
	return cat.DeepCopy(), slices.Clone(problems), nil
}
