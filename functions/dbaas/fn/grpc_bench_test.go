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
	"context"
	"net"
	"slices"
	"testing"
	"time"

	grpcprometheus "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/reflection"

	function "github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	fnv1beta1 "github.com/crossplane/function-sdk-go/proto/v1beta1"
)

// BenchmarkRunFunctionGRPC calls the function as core (and crossplane render)
// does: over a gRPC connection on loopback, kept open between calls, so that
// each call pays for marshalling the request and the response besides the
// composition. Run it with -benchtime=2000x: p50-µs and p99-µs are the
// percentiles of the calls' durations, which a mean per op hides.
func BenchmarkRunFunctionGRPC(b *testing.B) {
	client := serveFunction(b)
	for name, bc := range benchCases(b) {
		b.Run(name, func(b *testing.B) {
			took := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				rsp, err := client.RunFunction(b.Context(), bc.req)
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				checkComposed(b, bc, rsp)
			}
			slices.Sort(took)
			b.ReportMetric(percentile(took, 50), "p50-µs")
			b.ReportMetric(percentile(took, 99), "p99-µs")
		})
	}
}

// percentile returns the p-th percentile of sorted durations in
// microseconds, by the nearest-rank method.
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p+99)/100 - 1
	return float64(sorted[max(i, 0)]) / float64(time.Microsecond)
}

// serveFunction serves a Function on a loopback port of its own, registered
// as function.Serve registers it for main.go (v1 and v1beta1 services,
// reflection, the metrics interceptor, the SDK's message size limit), and
// returns a client connected to it. function.Serve itself cannot be used:
// it takes no listener, reports no port and never stops.
func serveFunction(b *testing.B) fnv1.FunctionRunnerServiceClient {
	b.Helper()
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	f := NewFunction(logging.NewNopLogger())
	srv := grpc.NewServer(
		grpc.MaxRecvMsgSize(function.DefaultMaxRecvMsgSize),
		grpc.Creds(insecure.NewCredentials()),
		grpc.ChainUnaryInterceptor(grpcprometheus.NewServerMetrics().UnaryServerInterceptor()),
	)
	reflection.Register(srv)
	fnv1.RegisterFunctionRunnerServiceServer(srv, f)
	fnv1beta1.RegisterFunctionRunnerServiceServer(srv, function.ServeBeta(f))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		if err := <-served; err != nil {
			b.Errorf("the function's gRPC server: %v", err)
		}
	})
	return fnv1.NewFunctionRunnerServiceClient(conn)
}
