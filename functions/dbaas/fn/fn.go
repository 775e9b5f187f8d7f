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

// Package fn is function-dbaas: it composes a platform Database (or the
// XDatabase of a DatabaseClaim) into a virtual machine, a database engine on
// it, and an application role owning one database, with choices drawn from a
// platform catalog.
package fn

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/response"
)

// provisioningTTL is how soon core should run the function again while some
// composed resources are not ready yet.
const provisioningTTL = 5 * time.Second

// Labels Crossplane sets on the XR of a claim.
const (
	labelClaimNamespace = "crossplane.io/claim-namespace"
	labelClaimName      = "crossplane.io/claim-name"
)

const (
	errGetXR          = "cannot get the observed composite resource"
	errGetSpec        = "cannot read the composite resource's spec"
	errGetObserved    = "cannot get the observed composed resources"
	errGetDesired     = "cannot get the desired composed resources"
	errGetDesiredXR   = "cannot get the desired composite resource"
	errSetDesired     = "cannot set the desired composed resources"
	errSetDesiredXR   = "cannot set the desired composite resource"
	errSetStatus      = "cannot set the composite resource's status"
	errNoNamespaceFmt = "%s %s has no namespace and no " + labelClaimNamespace + " label: create a Database in a namespace, or a DatabaseClaim"
)

// Function composes platform Databases and the XDatabases of claims.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log      logging.Logger
	catalogs *catalogCache
}

// NewFunction returns a Function that logs to the supplied logger.
func NewFunction(log logging.Logger) *Function {
	return &Function{log: log, catalogs: newCatalogCache(catalogCacheSize)}
}

// RunFunction composes one XDatabase. It never returns an error: problems are
// reported to Crossplane as a fatal result, which Crossplane shows on the XR
// and the claim.
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)

	in, ok := loadCatalog(f.catalogs, req, rsp)
	if !ok {
		return rsp, nil
	}

	oxr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errGetXR))
		return rsp, nil
	}
	xrName := oxr.Resource.GetName()
	log := f.log.WithValues("xr", xrName)

	place, err := placementOf(oxr.Resource)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	ns := place.Namespace

	s := spec{}
	if err := oxr.Resource.GetValueInto("spec", &s); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errGetSpec))
		return rsp, nil
	}

	sel, err := resolve(in, s)
	if err != nil {
		// The message is shown on the claim, whose author needs the fields
		// and accepted values, not the XR's name.
		log.Info("Rejecting composite resource", "reason", err.Error())
		response.Fatal(rsp, err)
		return rsp, nil
	}

	observed, err := request.GetObservedComposedResources(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errGetObserved))
		return rsp, nil
	}

	// A change that would lose or strand a live database's data is refused
	// before anything is composed: a fatal result leaves the composed
	// resources as they are.
	if err := refuseChanges(observeRunning(observed), sel); err != nil {
		log.Info("Refusing a change of a live database", "reason", err.Error())
		response.Fatal(rsp, err)
		return rsp, nil
	}

	rs, pending, err := recovery(req, rsp, s, place, oxr.Resource.GetNamespace() == "", sel, observed)
	switch {
	case err != nil:
		log.Info("Refusing a restore", "reason", err.Error())
		response.Fatal(rsp, err)
		return rsp, nil
	case pending:
		return rsp, nil
	}

	t := target{XRName: xrName, Namespace: ns, Database: databaseName(s, place.Owner), ConnectionSecret: place.ConnectionSecret, Restore: rs}
	if rs != nil {
		t.Database = rs.Database
	}
	mine, warnings, err := compose(t, sel)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	for _, w := range warnings {
		// Core turns a warning into an event on the XR, and on the claim
		// too, so that the team sees what its tier promises and does not
		// get here.
		response.Warning(rsp, errors.New(w)).TargetCompositeAndClaim()
	}
	ready := markReady(mine, observed)
	if !ready {
		// Core re-runs the pipeline after the shortest TTL a function
		// returns, besides when a composed resource changes. While the
		// database is being provisioned, a missed change should cost
		// seconds, not the default minute.
		rsp.Meta.Ttl = durationpb.New(provisioningTTL)
	}

	// Keep what earlier steps of the pipeline desire.
	desired, err := request.GetDesiredComposedResources(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errGetDesired))
		return rsp, nil
	}
	for name, dc := range mine {
		desired[name] = dc
	}
	if err := response.SetDesiredComposedResources(rsp, desired); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errSetDesired))
		return rsp, nil
	}

	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errGetDesiredXR))
		return rsp, nil
	}
	// Crossplane applies the desired XR with server-side apply, which needs
	// its apiVersion and kind.
	dxr.Resource.SetAPIVersion(oxr.Resource.GetAPIVersion())
	dxr.Resource.SetKind(oxr.Resource.GetKind())
	// Only a claim's XR has connection details, which core copies to the
	// claim's Secret; a v2 XR has none, and the User writes its Secret.
	if place.ConnectionSecret == "" {
		for k, v := range connectionDetails(observed) {
			dxr.ConnectionDetails[k] = v
		}
	}
	if err := setStatus(dxr, observeStatus(mine, observed, t.Database, sel.Cost, ready)); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errSetStatus))
		return rsp, nil
	}
	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errSetDesiredXR))
		return rsp, nil
	}

	log.Debug("Composed the composite resource", "namespace", ns, "database", t.Database, "ready", ready)
	return rsp, nil
}
