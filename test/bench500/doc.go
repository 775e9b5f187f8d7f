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

// Package bench500 measures the provider at scale: the real provider binary,
// run as its own process against a real API server and a real PostgreSQL
// server, brings 500 Databases on one server to Ready, and its memory is
// sampled while it does so and while it holds them.
//
// Run it with
//
//	go test -run '^$' -bench BenchmarkFiveHundredDatabases -benchtime=1x -count=5 ./test/bench500/
//
// Each -count run starts its own API server, PostgreSQL server and provider
// process, so that the memory figures are of one provider holding one set
// of 500 Databases.
package bench500
