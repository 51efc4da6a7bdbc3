# Sourced by bench/run (bash): the per-request cost of authentication. It uses the run's settings
# and helpers (WANGGE, BARE, TMP, THREADS, CONNS, WRK_THREADS, SECONDS_HTTP, PIDS, wait_for,
# to_ms) and defines bench_auth_cost, which:
#   - builds a test-scale demo city and starts wangge on it;
#   - logs in as the demo center operator (no TOTP) and captures GET /api/v1/session, the
#     cheapest route that needs a logged-in caller: it resolves the session cookie to a caller
#     (session lookup, user, roles, scope) and answers who that is;
#   - starts bare_mhd replaying exactly that response (headers and body) on the same path;
#   - drives, with the same wrk settings: wangge GET /api/v1/session with the cookie, wangge
#     GET /healthz (no caller) and the bare server;
#   - prints the table and two ratios: session/bare (what wangge keeps of libmicrohttpd on an
#     authenticated route) and session/healthz (the share of the throughput authentication costs
#     on the same server).
# Nothing is asserted. The figure is the baseline for caching the caller per session.

# auth_drive NAME URL [HEADER]: one wrk run; sets RPS, P50, P99, ERRS.
auth_drive() {
	local out="$TMP/wrk-auth-$1.txt"
	if [ -n "${3:-}" ]; then
		wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_HTTP}s" --latency -H "$3" "$2" >"$out" 2>&1
	else
		wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_HTTP}s" --latency "$2" >"$out" 2>&1
	fi
	RPS="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
	P50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
	P99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
	ERRS="$(grep -E 'Non-2xx|Socket errors' "$out" | tr -s ' ' | paste -sd ';' - || true)"
	[ -n "$ERRS" ] || ERRS="none"
}

bench_auth_cost() {
	local db="$TMP/auth.db" wport bport user pass cookie code pids_before
	pids_before=${#PIDS[@]}

	# Cheap password hashing for the demo accounts: only the one login below pays for it.
	if ! WANGGE_ARGON2_OPSLIMIT=1 WANGGE_ARGON2_MEMLIMIT_KB=1024 \
		"$WANGGE" demo --db "$db" --scale test >"$TMP/auth-demo.log" 2>&1; then
		cat "$TMP/auth-demo.log" >&2
		return 1
	fi
	"$WANGGE" serve --db "$db" --listen 127.0.0.1:0 --web "$ROOT/web" \
		--threads "$THREADS" 2>"$TMP/auth-wangge.log" &
	PIDS+=($!)
	wport="$(wait_for "$TMP/auth-wangge.log" 'event=listening.* port=[0-9]+' | grep -Eo 'port=[0-9]+' | cut -d= -f2)"

	user="$(jq -r '.[] | select(.role == "center_operator") | .username' "$db.accounts.json")"
	pass="$(jq -r '.[] | select(.role == "center_operator") | .password' "$db.accounts.json")"
	code="$(jq -n --arg u "$user" --arg p "$pass" '{username: $u, password: $p}' |
		curl -s -o "$TMP/auth-login.body" -c "$TMP/auth-cookies" -w '%{http_code}' \
			-H 'content-type: application/json' --data-binary @- \
			"http://127.0.0.1:$wport/api/v1/session")"
	if [ "$code" != 200 ]; then
		echo "bench: login as $user answered $code:" >&2
		cat "$TMP/auth-login.body" >&2
		return 1
	fi
	cookie="$(awk '$6 == "wg_session" {print $7}' "$TMP/auth-cookies")"
	code="$(curl -s -o "$TMP/session.body" -D "$TMP/session.headers" -w '%{http_code}' \
		-H "Cookie: wg_session=$cookie" "http://127.0.0.1:$wport/api/v1/session")"
	if [ "$code" != 200 ]; then
		echo "bench: GET /api/v1/session answered $code:" >&2
		cat "$TMP/session.body" >&2
		return 1
	fi

	"$BARE" --headers "$TMP/session.headers" --body "$TMP/session.body" --threads "$THREADS" \
		--path /api/v1/session >"$TMP/auth-bare.out" 2>"$TMP/auth-bare.log" &
	PIDS+=($!)
	bport="$(wait_for "$TMP/auth-bare.out" 'port=[0-9]+' | cut -d= -f2)"

	echo "GET /api/v1/session as $user (cookie): $(wc -c <"$TMP/session.body") body bytes," \
		"$(wc -c <"$TMP/session.headers") header bytes; bare_mhd replays them on the same path"
	wrk -t"$WRK_THREADS" -c"$CONNS" -d1s -H "Cookie: wg_session=$cookie" \
		"http://127.0.0.1:$wport/api/v1/session" >/dev/null 2>&1
	wrk -t"$WRK_THREADS" -c"$CONNS" -d1s "http://127.0.0.1:$bport/api/v1/session" >/dev/null 2>&1
	auth_drive session "http://127.0.0.1:$wport/api/v1/session" "Cookie: wg_session=$cookie"
	local s_rps=$RPS s_p50=$P50 s_p99=$P99 s_errs=$ERRS
	auth_drive healthz "http://127.0.0.1:$wport/healthz"
	local h_rps=$RPS h_p50=$P50 h_p99=$P99 h_errs=$ERRS
	auth_drive bare "http://127.0.0.1:$bport/api/v1/session"
	local b_rps=$RPS b_p50=$P50 b_p99=$P99 b_errs=$ERRS

	printf '%-28s %12s %10s %10s  %s\n' server requests/s "p50 (ms)" "p99 (ms)" errors
	printf '%-28s %12s %10s %10s  %s\n' "wangge GET /api/v1/session" "$s_rps" "$s_p50" "$s_p99" "$s_errs"
	printf '%-28s %12s %10s %10s  %s\n' "wangge GET /healthz" "$h_rps" "$h_p50" "$h_p99" "$h_errs"
	printf '%-28s %12s %10s %10s  %s\n' "bare libmicrohttpd (same)" "$b_rps" "$b_p50" "$b_p99" "$b_errs"
	awk -v s="$s_rps" -v h="$h_rps" -v b="$b_rps" -v sp="$s_p99" -v bp="$b_p99" 'BEGIN {
		printf "ratio authenticated GET /api/v1/session / bare: requests/s %.2f, p99 latency %.2f\n",
			(b > 0 ? s / b : 0), (bp > 0 ? sp / bp : 0)
		printf "ratio authenticated GET /api/v1/session / wangge /healthz: requests/s %.2f" \
			" (%.1f us more of the whole server per request)\n",
			(h > 0 ? s / h : 0), (s > 0 && h > 0 ? 1e6 / s - 1e6 / h : 0) }'

	# Stop these two servers so that they do not compete with the next section.
	local i
	for ((i = pids_before; i < ${#PIDS[@]}; i++)); do
		kill "${PIDS[$i]}" 2>/dev/null || true
		wait "${PIDS[$i]}" 2>/dev/null || true
	done
	PIDS=("${PIDS[@]:0:$pids_before}")
}
