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
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// requiredCatalog is the name under which the function asks core for the
// catalog's EnvironmentConfigs.
const requiredCatalog = "catalog"

// The kind that holds the catalog.
const (
	environmentConfigAPIVersion = "apiextensions.crossplane.io/v1beta1"
	environmentConfigKind       = "EnvironmentConfig"
)

const (
	errGetInput        = "cannot get the function input (an Input naming the catalog)"
	errInputKindFmt    = "the function input is a %s %s: want a " + v1beta1.Group + "/" + v1beta1.Version + " Input whose catalog.matchLabels name the catalog's EnvironmentConfigs"
	errNoCatalogLabels = "the function input's catalog.matchLabels are empty: name the labels of the catalog's EnvironmentConfigs, for example dbaas.io/catalog: default"
	errGetCatalog      = "cannot read the catalog's EnvironmentConfigs"
	errNoCatalogFmt    = "no catalog: no EnvironmentConfig is labelled %s; apply the platform's catalog (apis/platform/catalog) or fix the labels in the Composition's input"
	errBadCatalogFmt   = "the platform catalog (the EnvironmentConfigs labelled %s) is malformed: %s"
)

// loadCatalog returns the platform catalog the function's input names. It
// reports false when the response is complete without composing anything:
// on the first call, before core has answered the requirement for the
// catalog's EnvironmentConfigs, and when the catalog cannot be used, with a
// Fatal result that says why.
//
// The catalog is decoded once per distinct set of EnvironmentConfigs (see
// catalogCache).
//
// Every response past a valid input carries the requirement: core calls a
// function again until the requirements it returns stop changing, so one
// dropped once answered would be fetched, and then asked for, anew.
func loadCatalog(catalogs *catalogCache, req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) (*v1beta1.Catalog, bool) {
	// The kind is checked first: a Composition written before the catalog
	// moved has the catalog itself as its input, which should be told so
	// rather than what of it does not decode.
	apiVersion := req.GetInput().GetFields()["apiVersion"].GetStringValue()
	kind := req.GetInput().GetFields()["kind"].GetStringValue()
	if apiVersion != v1beta1.InputGroupVersionKind.GroupVersion().String() || kind != v1beta1.InputGroupVersionKind.Kind {
		response.Fatal(rsp, errors.Errorf(errInputKindFmt, apiVersion, kind))
		return nil, false
	}
	in := &v1beta1.Input{}
	if err := request.GetInput(req, in); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errGetInput))
		return nil, false
	}
	if len(in.Catalog.MatchLabels) == 0 {
		response.Fatal(rsp, errors.New(errNoCatalogLabels))
		return nil, false
	}

	rsp.Requirements = catalogRequirements(in.Catalog)
	answer, answered := req.GetRequiredResources()[requiredCatalog]
	if !answered {
		return nil, false
	}
	selector := labels.FormatLabels(in.Catalog.MatchLabels)
	if len(answer.GetItems()) == 0 {
		response.Fatal(rsp, errors.Errorf(errNoCatalogFmt, selector))
		return nil, false
	}

	c, problems, err := catalogs.decode(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errGetCatalog))
		return nil, false
	}
	if len(problems) > 0 {
		response.Fatal(rsp, errors.Errorf(errBadCatalogFmt, selector, strings.Join(problems, "; ")))
		return nil, false
	}
	return c, true
}

// catalogRequirements asks core for every EnvironmentConfig of a catalog.
func catalogRequirements(s v1beta1.CatalogSelector) *fnv1.Requirements {
	return &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{
		requiredCatalog: {
			ApiVersion: environmentConfigAPIVersion,
			Kind:       environmentConfigKind,
			Match:      &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{Labels: s.MatchLabels}},
		},
	}}
}
