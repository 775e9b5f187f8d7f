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
	"math/big"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// minCostDecimals keeps a cost in the usual form of money, 12.50 rather
// than 12.5, even when every price is whole.
const minCostDecimals = 2

const errPriceFmt = "environments[%s].pricing.%s %q is not a price: write a non-negative decimal such as 12.50"

// A cost is what a database is estimated to cost a month.
type cost struct {
	// Amount is an exact decimal: as many decimals as the most precise
	// price it is made of, and at least two.
	Amount   string
	Currency string
}

// estimate is a database's monthly cost from its environment's pricing:
// every member is a machine of the SKU with a disk of the storage, and a
// shared database is only its storage. It is nil where the environment has
// no pricing, or no price for the SKU of a database with machines, so that
// no cost is shown rather than a wrong one. Prices are added as exact
// rationals: a float would turn 3 × 0.1 into 0.30000000000000004.
func estimate(s selection) (*cost, error) {
	p := s.Environment.Pricing
	if p == nil {
		return nil, nil
	}
	storage, storageDecimals, err := parsePrice(s.Environment.Name, "storageGB", p.StorageGB)
	if err != nil {
		return nil, err
	}
	total := new(big.Rat).Mul(storage, big.NewRat(s.StorageGB, 1))
	decimals := max(minCostDecimals, storageDecimals)

	if members := int64(machines(s.Tier)); members > 0 {
		sp, ok := p.SKUs[s.SKU.Name]
		if !ok {
			return nil, nil
		}
		sku, skuDecimals, err := parsePrice(s.Environment.Name, "skus["+s.SKU.Name+"]", sp)
		if err != nil {
			return nil, err
		}
		total.Add(total, sku)
		total.Mul(total, big.NewRat(members, 1))
		decimals = max(decimals, skuDecimals)
	}
	// Products of prices and whole numbers, and their sums, have no more
	// decimals than their most precise price, so this does not round.
	return &cost{Amount: total.FloatString(decimals), Currency: p.Currency}, nil
}

// parsePrice reads a catalog price and how many decimals it is written
// with. An unset price is free.
func parsePrice(env, field string, p v1beta1.Price) (*big.Rat, int, error) {
	if p == "" {
		return new(big.Rat), 0, nil
	}
	m := decimal.FindStringSubmatch(string(p))
	if m == nil {
		return nil, 0, errors.Errorf(errPriceFmt, env, field, p)
	}
	r, ok := new(big.Rat).SetString(string(p))
	if !ok {
		return nil, 0, errors.Errorf(errPriceFmt, env, field, p)
	}
	return r, len(m[1]), nil
}
