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

// Command function-dbaas is a Crossplane composition function that composes
// platform Databases (and the claim path's XDatabases) from the platform
// catalog. Crossplane calls it over gRPC,
// authenticated with mutual TLS.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/crossplane/function-sdk-go"

	"github.com/dbaas-io/dbaas/functions/dbaas/fn"
)

func main() {
	var (
		address  = flag.String("address", function.DefaultAddress, "Address at which to listen for gRPC connections.")
		certsDir = flag.String("tls-certs-dir", os.Getenv("TLS_SERVER_CERTS_DIR"), "Directory holding tls.crt, tls.key and ca.crt, for mutual TLS. Defaults to $TLS_SERVER_CERTS_DIR.")
		insecure = flag.Bool("insecure", false, "Serve without TLS. Only for running the function by hand, for example with crossplane render.")
		debug    = flag.Bool("debug", false, "Log debug messages.")
		metrics  = flag.String("metrics-address", function.DefaultMetricsAddress, "Address of the Prometheus metrics endpoint (/metrics, the gRPC server's metrics); empty turns it off. The SDK ignores a failure to listen there, so give each function process on a host its own.")
	)
	flag.Parse()

	if err := run(*address, *metrics, *certsDir, *insecure, *debug); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(address, metrics, certsDir string, insecure, debug bool) error {
	log, err := function.NewLogger(debug)
	if err != nil {
		return err
	}
	log.Info("Serving function-dbaas", "address", address, "insecure", insecure)
	return function.Serve(fn.NewFunction(log),
		function.Listen("tcp", address),
		function.MTLSCertificates(certsDir),
		function.Insecure(insecure),
		function.WithMetricsServer(metrics),
	)
}
