#!/usr/bin/env bash
# The benchmarks, in one run on this machine (see bench/README.md for how to read them):
#   1. GET /healthz through wangge against a bare libmicrohttpd program serving the same bytes,
#      driven by wrk with the same settings: requests/s, p50/p99 latency, and the ratios.
#   1b. The per-request cost of authentication: GET /api/v1/session with a session cookie against
#      bare libmicrohttpd replaying the same response (bench/auth_cost.sh).
#   2. Durable writes/s through the group-commit writer against one transaction per write.
#   3. Point -> grid lookups/s on the city-scale demo (~6,000 grids), one thread and all threads.
#   3b. Matters: reports/s through the API at 64 and 256 connections against one commit per write,
#      and queue pages and dashboard counters at BENCH_MATTERS matters against a GROUP BY
#      (bench/matters.sh).
#   4. Authenticated, scoped reads on the city-scale demo as the county center's operator: GET of
#      one grid, and a list page of 20 grids (first page, and a page deep in the scope), each
#      against bare libmicrohttpd replaying the same response bytes, with the ratio.
# Everything is printed, nothing is asserted. Traffic goes to 127.0.0.1 only; the servers are
# stopped on exit. Tunables (environment): BUILD (build dir, default build), BENCH_THREADS (server
# thread pool, default 8, wangge's default), BENCH_CONNS (64), BENCH_WRK_THREADS (2),
# BENCH_SECONDS (5, per wrk run), BENCH_WRITE_SECONDS (3, per write run),
# BENCH_WRITE_THREADS (16,64).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

BUILD="${BUILD:-build}"
THREADS="${BENCH_THREADS:-8}"
CONNS="${BENCH_CONNS:-64}"
WRK_THREADS="${BENCH_WRK_THREADS:-2}"
SECONDS_HTTP="${BENCH_SECONDS:-5}"
SECONDS_WRITE="${BENCH_WRITE_SECONDS:-3}"
WRITE_THREADS="${BENCH_WRITE_THREADS:-16,64}"

command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/setup installs it)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench: curl is missing (scripts/setup installs it)" >&2; exit 1; }

# Build: reuse the build dir `make build` made; configure it the same way if there is none.
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if ! cmake --build "$BUILD" -j "$(nproc)" --target wangge bare_mhd bench_writes bench_locate bench_matters >"$BUILD/bench-build.log" 2>&1; then
	cat "$BUILD/bench-build.log" >&2
	exit 1
fi
WANGGE="$BUILD/wangge"
BARE="$BUILD/bench/bare_mhd"
WRITES="$BUILD/bench/bench_writes"

# The databases live on the project's disk (not a tmpfs), since fsync cost is what is measured.
mkdir -p bench/out
TMP="$(mktemp -d "$ROOT/bench/out/run.XXXXXX")"
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for FILE REGEX: waits up to 10 s for a line matching REGEX, prints the match.
wait_for() {
	local i
	for i in $(seq 100); do
		if grep -Eo "$2" "$1" 2>/dev/null | head -1 | grep .; then
			return 0
		fi
		sleep 0.1
	done
	echo "bench: timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2 || true
	return 1
}

# to_ms VALUE: wrk prints latencies as 123.45us, 1.23ms or 1.02s.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000;
		else if (v ~ /s$/) n *= 1000
		printf "%.3f", n }'
}

# drive NAME URL [WRK ARGS...]: one wrk run; sets RPS, P50, P99, ERRS.
. "$ROOT/bench/matters.sh"
bench_matters
