# Sourced by bench/run (bash): the live-update streams bench. Uses the run's settings and helpers
# (WANGGE, BUILD, TMP, THREADS, PIDS, wait_for) and defines bench_streams:
#   BENCH_STREAMS (default 10,000) idle GET /api/v1/stream connections held by one client
#   (bench_streams, one thread, epoll) against `wangge serve` on the test demo; the server's
#   resident memory (VmRSS in /proc/PID/status) and thread count before the streams, with them
#   all open, and the difference per stream; then one report by the grid worker and the time
#   until every stream got its event (p50, p99, max). Nothing is asserted.
# Every stream is the grid worker's (one session; the per-user cap is raised for the run), so
# the one report is in every stream's scope.

bench_streams() {
	local db="$TMP/streams.db" port pid cred code cookie csrf grid out n="${BENCH_STREAMS:-10000}"
	local rss0 rss1 thr0 thr1 pids_before=${#PIDS[@]}
	# Each stream is a descriptor on both sides: the client's limit goes up here (the server
	# raises its own soft limit to what --max-streams needs).
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((n + 64)) ]; then
		echo "bench: the descriptor limit ($(ulimit -n)) is below $((n + 64)); streams lowered"
		n=$(($(ulimit -n) - 64))
	fi
	if ! WANGGE_ARGON2_OPSLIMIT=1 WANGGE_ARGON2_MEMLIMIT_KB=1024 \
		"$WANGGE" demo --db "$db" --scale test >"$TMP/streams-demo.log" 2>&1; then
		cat "$TMP/streams-demo.log" >&2
		return 1
	fi
	"$WANGGE" serve --db "$db" --listen 127.0.0.1:0 --web "$ROOT/web" --threads "$THREADS" \
		--max-streams "$n" --max-streams-per-user "$n" 2>"$TMP/streams.log" &
	pid=$!
	PIDS+=("$pid")
	port="$(wait_for "$TMP/streams.log" 'event=listening.* port=[0-9]+' | grep -Eo 'port=[0-9]+' | cut -d= -f2)"
	cred="$(node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).find((x) => x.username === "worker"); process.stdout.write(JSON.stringify({ username: a.username, password: a.password }))' "$db.accounts.json")"
	code="$(curl -s -o "$TMP/slogin.json" -c "$TMP/scookies" -w '%{http_code}' \
		-H 'content-type: application/json' --data "$cred" "http://127.0.0.1:$port/api/v1/session")"
	if [ "$code" != 200 ]; then
		echo "bench: login as the grid worker answered $code" >&2
		return 1
	fi
	cookie="wg_session=$(awk '$6 == "wg_session" {print $7}' "$TMP/scookies")"
	csrf="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).csrf_token)' "$TMP/slogin.json")"
	grid="$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/grids?limit=1" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).items[0].code))')"
	printf '{"item":"%s","title":"路灯不亮","description":"夜间路灯不亮。","grid":"%s"}\n' \
		"${BENCH_ITEM:-CG-001}" "$grid" >"$TMP/stream-report.json"
	# Warm: one stream opened and closed, one page read, so the caches are in the baseline.
	curl -s -m 1 -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/stream?once=1" >/dev/null || true
	curl -s -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/matters" >/dev/null
	sleep 1
	rss0="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
	thr0="$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")"
	out="$TMP/streams-client.txt"
	"$BUILD/bench/bench_streams" --port "$port" --cookie "$cookie" --csrf "$csrf" \
		--body "$TMP/stream-report.json" --n "$n" --hold 3 >"$out" 2>"$TMP/streams-client.err" &
	local client=$!
	local i
	for i in $(seq 1200); do
		grep -q '^READY' "$out" 2>/dev/null && break
		kill -0 "$client" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	rss1="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
	thr1="$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")"
	wait "$client" || true
	echo "live-update streams: $n idle GET /api/v1/stream held by one client (epoll), then one report"
	echo "by the grid worker delivered to all of them (server: --threads $THREADS)"
	sed -n 's/^READY /  streams: /p' "$out"
	sed -n 's/^CHANGE /  change:  /p' "$out"
	printf '  server VmRSS: %s KiB before, %s KiB with the streams open: %s KiB more, %s bytes a stream\n' \
		"$rss0" "$rss1" "$((rss1 - rss0))" "$(( (rss1 - rss0) * 1024 / (n > 0 ? n : 1) ))"
	printf '  server threads: %s before, %s with the streams open\n' "$thr0" "$thr1"
	[ -s "$TMP/streams-client.err" ] && head -5 "$TMP/streams-client.err"
	while [ ${#PIDS[@]} -gt "$pids_before" ]; do
		kill "${PIDS[-1]}" 2>/dev/null || true
		wait "${PIDS[-1]}" 2>/dev/null || true
		unset 'PIDS[-1]'
	done
}
