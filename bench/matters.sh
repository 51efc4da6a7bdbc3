# Sourced by bench/run (bash): the matters benches. Uses the run's settings and helpers (WANGGE,
# TMP, THREADS, WRK_THREADS, SECONDS_HTTP, PIDS, wait_for, to_ms) and defines bench_matters:
#   1. reports created per second through the API (POST /api/v1/matters as a logged-in grid
#      worker; every answer is sent after its commit), with wrk at 64 and 256 connections,
#      against the store's rate of one commit per write measured in the same run
#      (bench_writes, max_batch 1, same number of threads);
#   2. queue pages and dashboard counters on a city with BENCH_MATTERS matters (default
#      1,000,000; the issue's figure is 10,000,000) against a GROUP BY (bench_matters).
# Nothing is asserted.

bench_matters() {
	local db="$TMP/matters.db" port cookie csrf grid code pids_before conns out rps errs base
	local item="${BENCH_ITEM:-CG-001}" n="${BENCH_MATTERS:-1000000}"
	pids_before=${#PIDS[@]}
	if ! WANGGE_ARGON2_OPSLIMIT=1 WANGGE_ARGON2_MEMLIMIT_KB=1024 \
		"$WANGGE" demo --db "$db" --scale test >"$TMP/matters-demo.log" 2>&1; then
		cat "$TMP/matters-demo.log" >&2
		return 1
	fi
	"$WANGGE" serve --db "$db" --listen 127.0.0.1:0 --web "$ROOT/web" --threads "$THREADS" \
		2>"$TMP/matters.log" &
	PIDS+=($!)
	port="$(wait_for "$TMP/matters.log" 'event=listening.* port=[0-9]+' | grep -Eo 'port=[0-9]+' | cut -d= -f2)"
	local cred
	cred="$(node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).find((x) => x.username === "worker"); process.stdout.write(JSON.stringify({ username: a.username, password: a.password }))' "$db.accounts.json")"
	code="$(curl -s -o "$TMP/mlogin.json" -c "$TMP/mcookies" -w '%{http_code}' \
		-H 'content-type: application/json' --data "$cred" "http://127.0.0.1:$port/api/v1/session")"
	if [ "$code" != 200 ]; then
		echo "bench: login as the grid worker answered $code" >&2
		return 1
	fi
	cookie="wg_session=$(awk '$6 == "wg_session" {print $7}' "$TMP/mcookies")"
	csrf="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).csrf_token)' "$TMP/mlogin.json")"
	grid="$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/grids?limit=1" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).items[0].code))')"
	cat >"$TMP/report.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"item":"$item","title":"占道经营","description":"早市摊位占用人行道，行人绕行。","grid":"$grid"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "$cookie"
wrk.headers["X-CSRF-Token"] = "$csrf"
LUA
	code="$(curl -s -o "$TMP/mreport.json" -w '%{http_code}' -X POST -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" \
		-H 'content-type: application/json' --data "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$TMP/report.lua")" \
		"http://127.0.0.1:$port/api/v1/matters")"
	if [ "$code" != 201 ]; then
		echo "bench: a report answered $code:" >&2
		cat "$TMP/mreport.json" >&2
		return 1
	fi
	echo "matter reports through the API: POST /api/v1/matters as a grid worker (report event,"
	echo "projection, counters and audit record in one transaction; answered after the commit)"
	printf '%-28s %12s %10s %10s %16s %8s  %s\n' run "reports/s" "p50 (ms)" "p99 (ms)" "1 commit/write/s" ratio errors
	for conns in 64 256; do
		out="$TMP/wrk-report-$conns.txt"
		wrk -t"$WRK_THREADS" -c"$conns" -d"${SECONDS_HTTP}s" --latency -s "$TMP/report.lua" \
			"http://127.0.0.1:$port/api/v1/matters" >"$out" 2>&1
		rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
		errs="$(grep -E 'Non-2xx|Socket errors' "$out" | tr -s ' ' | paste -sd ';' - || true)"
		[ -n "$errs" ] || errs="none"
		base="$("$BUILD/bench/bench_writes" --dir "$TMP" --seconds "$SECONDS_WRITE" --threads "$conns" 2>/dev/null |
			awk '$2 == 1 {print $3}')"
		printf '%-28s %12s %10s %10s %16s %8s  %s\n' "wrk -c$conns" "$rps" \
			"$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")" \
			"$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")" "$base" \
			"$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "$errs"
	done
	while [ ${#PIDS[@]} -gt "$pids_before" ]; do
		kill "${PIDS[-1]}" 2>/dev/null || true
		wait "${PIDS[-1]}" 2>/dev/null || true
		unset 'PIDS[-1]'
	done
	echo
	"$WANGGE" demo --db "$TMP/matters-city.db" --scale city --matters "$n" >"$TMP/matters-city.log" 2>&1 ||
		{ cat "$TMP/matters-city.log" >&2; return 1; }
	grep -E 'matters with their histories' "$TMP/matters-city.log" | sed "s|$TMP/||"
	echo "database: $(du -h "$TMP/matters-city.db" | cut -f1)"
	"$BUILD/bench/bench_matters" --db "$TMP/matters-city.db" --iterations "${BENCH_MATTERS_ITERATIONS:-2000}"
}
