# Everything a fresh machine needs is brought by these targets: Debian's
# PostgreSQL 15 and MariaDB servers, and the local control plane built from
# pinned Go modules into the git-ignored .cache/.

SHELL  := /bin/bash
CACHE  := $(CURDIR)/.cache
BIN    := $(CACHE)/bin
TOOLS  := cluster/tools
CRANK  := hack/crank
PG_BIN := /usr/lib/postgresql/15/bin
PG_SHARE := /usr/share/postgresql/15
GO     ?= go

# golangci-lint is pinned in a module of its own, so that its dependencies
# stay out of the product's go.mod; go tool builds it once into Go's cache.
GOLANGCI_LINT := $(GO) tool -modfile=$(CURDIR)/hack/lint/go.mod golangci-lint

CONTROL_PLANE := $(BIN)/etcd $(BIN)/kube-apiserver $(BIN)/kube-controller-manager $(BIN)/crossplane
PRODUCT       := $(BIN)/provider $(BIN)/function-dbaas $(BIN)/localenv $(BIN)/dbaas-watchdog
DEV_TOOLS     := $(BIN)/crank
# The S3-compatible object store the backup tests and the demo keep
# backups in (Apache-2.0), run as a local process like the control plane.
VERSITYGW_VERSION := v1.8.0
OBJECT_STORE  := $(BIN)/versitygw

# `make package` writes the Crossplane packages here.
PACKAGE_DIR   ?= $(CACHE)/packages

# `make install-plugin` puts kubectl-dbaas here, which should be on the PATH
# for kubectl to find it as `kubectl dbaas`: Go's GOBIN (by default
# $(go env GOPATH)/bin) unless PREFIX names another, such as /usr/local
# (then $(PREFIX)/bin).
PLUGIN_DIR    ?= $(if $(PREFIX),$(PREFIX)/bin,$(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin))

# `make render` serves the function here, where example/functions.yaml
# expects it; set RENDER_PORT when that port is taken.
RENDER_PORT   ?= 9443

.PHONY: help deps tools build install-plugin generate check-generated lint unit render package test bench bench-function bench-200 bench-500 bench-2000 bench-instance bench-backup demo up down clean

help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

deps: ## Install Debian's PostgreSQL 15 (with PostGIS, and pgvector where the sources have it) and MariaDB servers, pgBackRest, sudo, OpenSSH's server (for the test hosts), the disk tools, and Prometheus (promtool) with prometheus-postgres-exporter that the tests use when they are missing.
	@test -x $(PG_BIN)/postgres || { \
		echo "==> installing postgresql-15"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; }
	@test -x /usr/sbin/mariadbd || { \
		echo "==> installing mariadb-server"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null; }
	@test -x /usr/bin/pgbackrest || { \
		echo "==> installing pgbackrest (backups and WAL archiving)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbackrest >/dev/null; }
	@command -v sudo >/dev/null || { \
		echo "==> installing sudo"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sudo >/dev/null; }
	@test -x /usr/sbin/sshd || { \
		echo "==> installing openssh-server (the sshd of the test hosts)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null; }
	@{ command -v losetup && command -v mkfs.ext4; } >/dev/null || { \
		echo "==> installing mount and e2fsprogs"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mount e2fsprogs >/dev/null; }
	@{ command -v prometheus && command -v promtool && command -v prometheus-postgres-exporter; } >/dev/null || { \
		echo "==> installing prometheus (with promtool) and prometheus-postgres-exporter (the metrics and alerts tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-postgres-exporter >/dev/null; }
	@test -f $(PG_SHARE)/extension/postgis.control || { \
		echo "==> installing postgresql-15-postgis-3 (the postgis flavor)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >/dev/null; }
	@test -f $(PG_SHARE)/extension/vector.control || { \
		if apt-cache show postgresql-15-pgvector >/dev/null 2>&1; then \
			echo "==> installing postgresql-15-pgvector (the vector flavor)"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-pgvector >/dev/null; \
		else \
			echo "==> postgresql-15-pgvector is not in this machine's Debian sources (Debian 12 has no pgvector;"; \
			echo "    apt.postgresql.org has it): the vector flavor is tested at the allow-list level only, and a local"; \
			echo "    instance asking for vector says it is not available"; \
		fi; }

tools: $(CONTROL_PLANE) $(DEV_TOOLS) $(OBJECT_STORE) $(CACHE)/crossplane/crds ## Build etcd, kube-apiserver, kube-controller-manager, Crossplane core and its CLI, and versitygw (once).

$(BIN)/etcd: $(TOOLS)/go.mod $(TOOLS)/go.sum
	@echo "==> building etcd (first time only)"
	cd $(TOOLS) && $(GO) build -o $@ ./etcd

$(BIN)/kube-apiserver: $(TOOLS)/go.mod $(TOOLS)/go.sum
	@echo "==> building kube-apiserver (first time only, a few minutes)"
	cd $(TOOLS) && $(GO) build -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(BIN)/kube-controller-manager: $(TOOLS)/go.mod $(TOOLS)/go.sum
	@echo "==> building kube-controller-manager (first time only)"
	cd $(TOOLS) && $(GO) build -o $@ k8s.io/kubernetes/cmd/kube-controller-manager

# Core is built with its version stamped in, as Crossplane's releases are:
# its package manager checks each package's spec.crossplane.version against
# it and refuses the provider's package when it is empty. The stamp file is
# newer than a binary built before it, so that binary is built again.
$(BIN)/crossplane: $(TOOLS)/go.mod $(TOOLS)/go.sum $(CACHE)/crossplane.version
	@echo "==> building Crossplane core $$(cat $(CACHE)/crossplane.version) (first time only)"
	cd $(TOOLS) && $(GO) build -ldflags "-X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$$(cat $(CACHE)/crossplane.version)" \
		-o $@ github.com/crossplane/crossplane/v2/cmd/crossplane

$(CACHE)/crossplane.version: $(TOOLS)/go.mod
	@mkdir -p $(dir $@)
	cd $(TOOLS) && $(GO) list -m -f '{{.Version}}' github.com/crossplane/crossplane/v2 > $@

# crank is the Crossplane CLI, whose `render` runs a Composition's pipeline
# without a cluster. It left Crossplane's module after v2.2.0 (for
# github.com/crossplane/cli, which the module proxy does not serve), so it has
# its own tools module pinning the last release that holds it.
$(BIN)/crank: $(CRANK)/go.mod $(CRANK)/go.sum
	@echo "==> building crank, the Crossplane CLI (first time only)"
	cd $(CRANK) && $(GO) build -o $@ github.com/crossplane/crossplane/v2/cmd/crank

# versitygw is installed from the module proxy at a pinned version, outside
# the product's go.mod, whose dependencies it would otherwise drag in (the
# AWS SDK among them). A file target: built once, like the control plane.
$(OBJECT_STORE):
	@echo "==> building versitygw $(VERSITYGW_VERSION), the S3 object store of the backup tests (first time only, a few minutes)"
	GOBIN=$(BIN) GOFLAGS=-mod=mod $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# Crossplane core's own CRDs ship inside its module.
$(CACHE)/crossplane/crds: $(TOOLS)/go.mod $(TOOLS)/go.sum
	@mkdir -p $(dir $@) && rm -rf $@
	cp -r "$$(cd $(TOOLS) && $(GO) list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)/cluster/crds" $@
	chmod -R u+w $@

# The product's binaries are rebuilt every time; Go's build cache makes that
# quick when nothing changed.
build: tools ## Build the provider, the function, the local environment and the members' watchdog.
	$(GO) build -o $(BIN)/provider ./cmd/provider
	$(GO) build -o $(BIN)/dbaas-watchdog ./cmd/dbaas-watchdog
	$(GO) build -o $(BIN)/function-dbaas ./functions/dbaas
	$(GO) build -o $(BIN)/localenv ./cmd/localenv

install-plugin: ## Build kubectl-dbaas into PLUGIN_DIR ($$GOBIN, or PREFIX/bin), where kubectl finds it as `kubectl dbaas`.
	@mkdir -p "$(PLUGIN_DIR)"
	$(GO) build -o "$(PLUGIN_DIR)/kubectl-dbaas" ./cmd/kubectl-dbaas
	@case ":$$PATH:" in *":$(PLUGIN_DIR):"*) ;; *) echo "$(PLUGIN_DIR) is not on your PATH: add it, or kubectl will not find kubectl-dbaas";; esac

generate: ## Regenerate deepcopy, method sets, resolvers and CRDs.
	$(GO) generate ./apis/... ./functions/...

check-generated: generate ## Fail when generated files differ from the committed ones.
	@git diff --exit-code -- apis package functions || { echo "generated files are stale: run make generate and commit"; exit 1; }

lint: ## Run golangci-lint (the version in hack/lint/go.mod, the checks in .golangci.yml).
	$(GOLANGCI_LINT) run ./...

# The inner loop: no root, no servers and no control-plane build, so it
# depends on no other target. Tests that need those skip under -short,
# saying what they need.
unit: ## Run the fast tests only (go test -short): no root, no servers, no control-plane build.
	$(GO) test -short -count=1 ./...

# The example runs as it is: its composition.yaml is a link to the platform's
# Composition and its catalog/ to the platform's catalog, so they cannot
# drift; crank answers the function's requirement for the catalog's
# EnvironmentConfigs from catalog/ (--required-resources). The function runs as a local process
# (no Docker here) for as long as crank needs it, and is stopped by its PID
# whatever crank's outcome.
render: $(BIN)/crank ## Render functions/dbaas/example with the platform's Composition through a locally running function-dbaas.
	$(GO) build -o $(BIN)/function-dbaas ./functions/dbaas
	@$(BIN)/function-dbaas --insecure --address=127.0.0.1:$(RENDER_PORT) --metrics-address= > $(CACHE)/function-dbaas-render.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in $$(seq 1 300); do \
		kill -0 $$pid 2>/dev/null || { cat $(CACHE)/function-dbaas-render.log; exit 1; }; \
		(exec 3<>/dev/tcp/127.0.0.1/$(RENDER_PORT)) 2>/dev/null && break; \
		sleep 0.1; done; \
	cd functions/dbaas/example && $(BIN)/crank render xr.yaml composition.yaml functions.yaml \
		--required-resources=catalog \
		-a render.crossplane.io/runtime-development-target=localhost:$(RENDER_PORT)

# go test starts the packages' test binaries in the order it is given
# them (./... is alphabetical), two at a time on two cores, a binary only
# once every package named before it has started. The longest packages are
# named first, so that databaseinstance (about 9 minutes) runs beside all
# the others instead of starting after some forty packages and ending
# alone; a package named twice runs once.
SLOW_TESTS := ./internal/controller/databaseinstance/ ./test/e2e/ ./test/machines/ ./internal/engine/postgresql/ ./test/existing/ ./internal/engine/pgbackrest/ ./internal/controller/backupschedule/ ./internal/controller/backup/

# The packages are OCI image tarballs that Crossplane's CLI builds from the
# crossplane.yaml beside what each packages, without a Docker engine. The
# provider's and the function's embed no runtime image: their processes run
# where the platform runs them (Crossplane's External runtime, or an image
# built elsewhere).
package: $(BIN)/crank ## Build the provider, function and platform Configuration packages (.xpkg) into PACKAGE_DIR (.cache/packages).
	@mkdir -p $(PACKAGE_DIR)
	$(BIN)/crank xpkg build --package-root=package --examples-root=examples --package-file=$(PACKAGE_DIR)/provider-dbaas.xpkg
	$(BIN)/crank xpkg build --package-root=functions/dbaas/package --examples-root=functions/dbaas/example --package-file=$(PACKAGE_DIR)/function-dbaas.xpkg
	$(BIN)/crank xpkg build --package-root=apis/platform --ignore='catalog/*.yaml' --examples-root=examples --package-file=$(PACKAGE_DIR)/platform-dbaas.xpkg
	$(BIN)/crank xpkg build --package-root=apis/platform-claims --examples-root=examples --package-file=$(PACKAGE_DIR)/platform-dbaas-claims.xpkg

test: deps build ## Run the whole suite: unit, integration and end-to-end.
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m $(SLOW_TESTS) ./...

bench: deps build ## Run the benchmarks (quote medians: go run golang.org/x/perf/cmd/benchstat).
	$(GO) test -run '^$$' -bench . -benchmem -count 6 $$($(GO) list ./... | grep -v -e /test/bench500 -e /test/bench200 -e /test/benchinstance -e /test/benchbackup)

bench-function: ## RunFunction for the dev and ha compositions over a loopback gRPC connection and in-process: p50/p99 over 2,000 calls, B/op.
	$(GO) test -run '^$$' -bench 'BenchmarkRunFunction' -benchtime=2000x -benchmem -count 5 ./functions/dbaas/fn/

bench-200: deps build ## 200 VirtualMachines created and deleted on vcsim through the provider: time to all-Ready, API calls per VM.
	$(GO) test -run '^$$' -bench BenchmarkTwoHundredVMs -benchtime=1x -count 3 -timeout 60m ./test/bench200/

bench-instance: deps build ## DatabaseInstances on the local backend and on test hosts over SSH: create to Ready, switchover, failover (failover.after 2s) to writable, lost writes (about 45 min).
	$(GO) test -run '^$$' -bench . -benchtime=5x -count 1 -timeout 120m ./test/benchinstance/ -args -benchinstance.failover-after=2s

bench-backup: deps $(OBJECT_STORE) ## Backups of a 2 GB pgbench database with pgBackRest to S3 (versitygw) and posix beside pg_basebackup, their restores, and the data lost at a crash with archive_timeout 10 s (about 40 min).
	$(GO) test -run '^$$' -bench BenchmarkBackupRestore -benchtime=3x -count 1 -timeout 120m ./test/benchbackup/ -args -benchbackup.scale=130
	$(GO) test -run '^$$' -bench BenchmarkRPO -benchtime=7x -count 1 -timeout 60m ./test/benchbackup/

bench-500: deps build ## 500 Databases on one PostgreSQL server to Ready, and the provider's RSS (about 2 min a run).
	$(GO) test -run '^$$' -bench BenchmarkFiveHundredDatabases -benchtime=1x -count 5 -timeout 30m ./test/bench500/

bench-2000: deps build ## 2,000 Databases over 4 PostgreSQL servers to Ready: time, RSS and API requests per Database (about 10 min a run).
	$(GO) test -run '^$$' -bench BenchmarkTwoThousandDatabases -benchtime=1x -count 3 -timeout 90m ./test/bench500/

demo: deps build package ## From a Database to a working PostgreSQL database, and back.
	$(BIN)/localenv --root $(CURDIR) demo

up: deps build package ## Start the local environment in the background; kubeconfig in .cache/kubeconfig.
	@nohup $(BIN)/localenv --root $(CURDIR) up > $(CACHE)/localenv.log 2>&1 &
	@for i in $$(seq 1 600); do \
		grep -q '==> ready' $(CACHE)/localenv.log 2>/dev/null && { cat $(CACHE)/localenv.log; exit 0; }; \
		grep -q '^localenv:' $(CACHE)/localenv.log 2>/dev/null && { cat $(CACHE)/localenv.log; exit 1; }; \
		sleep 0.5; done; cat $(CACHE)/localenv.log; exit 1

down: ## Stop the environment that `make up` started.
	@if [ -x $(BIN)/localenv ]; then $(BIN)/localenv --root $(CURDIR) down; fi

clean: down ## Remove the product's binaries and the environments' state (keeps the control plane build).
	rm -rf $(PRODUCT) $(CACHE)/localenv $(CACHE)/demo-*
