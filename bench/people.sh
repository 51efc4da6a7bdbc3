# Sourced by bench/run (bash): the people bench (issue 12 part 11). Uses the run's settings and
# helpers (WANGGE, BUILD, TMP, ROOT) and defines bench_people:
#   1. a CSV of BENCH_PEOPLE plausible people (default 6,000,000: the issue's city) over every
#      active grid of the city-scale demo, grid after grid as a community-by-community export
#      lists them (bench/gen_people.mjs: valid ID numbers with Liaocheng's county codes,
#      households of one to five in houses); BENCH_PEOPLE=200000 for a quick run;
#   2. `wangge import people` of it into that database: people/s (ID and phone sealed, blind
#      index, house found or registered, dated record, grid counters, one audited write per
#      20,000 rows), against the raw batched SQLite insert of the same rows into a scratch table
#      (bench_people --raw: same CSV reader, same store settings, 5,000 rows per transaction,
#      nothing else) measured in the same run, and the ratio;
#   3. lookups per second by ID number on the imported data: the blind index alone, and
#      person_list (what GET /api/v1/people?id_number= calls);
#   4. lookups per second by name (bench_people_names): a full name, a two-character given name
#      and a surname, through the FTS5 statement alone and person_list's first page (what
#      GET /api/v1/people?name= calls) as the whole city and as a township center;
#   5. the server's memory serving the imported city (bench_people_rss): `wangge serve` on that
#      database, VmRSS/VmHWM at idle and after BENCH_PEOPLE_RSS_SECONDS (10) of people list pages,
#      name searches and ID lookups by the county center's operator at BENCH_CONNS (64)
#      connections, against SQLite's page cache (cache_size per connection × the connections the
#      server has open on the database); the aim is < 64 MB beyond that cache.
# Nothing is asserted.

bench_people() {
	local db="$TMP/people.db" csv="$TMP/people.csv" n="${BENCH_PEOPLE:-6000000}" grids out
	local imp_s imp_rate raw_rate
	"$WANGGE" demo --db "$db" --scale city >"$TMP/people-demo.log" 2>&1 ||
		{ cat "$TMP/people-demo.log" >&2; return 1; }
	grids="$(sqlite3 "$db" "SELECT code FROM grids WHERE status = 'active' ORDER BY id" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	node "$ROOT/bench/gen_people.mjs" "$n" $grids >"$csv"
	echo "people import: $n people over $(echo "$grids" | wc -w) grids of the city demo ($(du -h "$csv" | cut -f1) of CSV)"
	out="$("$WANGGE" import people --db "$db" "$csv" 2>"$TMP/people-import.log")" ||
		{ tail -5 "$TMP/people-import.log" >&2; return 1; }
	imp_s="$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')"
	imp_rate="$(echo "$out" | sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p')"
	raw_rate="$("$BUILD/bench/bench_people" --raw "$csv" --db "$TMP/people-raw.db" | awk '$1 == "raw" {print $4}')"
	printf '%-44s %12s %10s\n' run "rows/s" "seconds"
	printf '%-44s %12s %10s\n' "wangge import people" "$imp_rate" "$imp_s"
	printf '%-44s %12s\n' "raw batched insert (baseline)" "$raw_rate"
	echo "ratio import/raw: $(awk -v a="$imp_rate" -v b="$raw_rate" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
	echo "database: $(du -h "$db" | cut -f1)"
	"$BUILD/bench/bench_people" --lookup "$csv" --db "$db" --iterations "${BENCH_PEOPLE_LOOKUPS:-20000}" |
		awk '$1 == "lookup" { printf "lookups by ID number (%d): blind index %s/s, person_list %s/s (found %d of %d)\n", $2, $4, $5, $3, 2 * $2 }'
	bench_people_names "$db" "$csv"
	bench_people_rss "$db" "$csv"
}

# bench_people_names DB CSV: lookups by name on the imported database (bench_people --names,
# BENCH_PEOPLE_NAME_LOOKUPS queries of each kind, default 200).
bench_people_names() {
	"$BUILD/bench/bench_people" --names "$2" --db "$1" --iterations "${BENCH_PEOPLE_NAME_LOOKUPS:-200}"
}

# people_status PID: "VmRSS VmHWM RssAnon RssFile RssShmem" of the process, in KiB.
people_status() {
	awk '/^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):/ {v[$1] = $2}
		END {print v["VmRSS:"], v["VmHWM:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"]}' "/proc/$1/status"
}

# bench_people_rss DB CSV: the server's resident memory serving the imported city, at idle and
# under load, against SQLite's page cache.
bench_people_rss() {
	local db="$1" csv="$2" pid port cred code cookie secs="${BENCH_PEOPLE_RSS_SECONDS:-10}"
	local pids_before=${#PIDS[@]} idle load db_conns cache_size page_size mmap_size cache_bytes peak_reset
	"$WANGGE" serve --db "$db" --listen 127.0.0.1:0 --web "$ROOT/web" --threads "$THREADS" \
		2>"$TMP/people-serve.log" &
	pid=$!
	PIDS+=("$pid")
	port="$(wait_for "$TMP/people-serve.log" 'event=listening.* port=[0-9]+' | grep -Eo 'port=[0-9]+' | cut -d= -f2)"
	# The county center's operator (东昌府区, no TOTP): most of the people imported are in its scope.
	cred="$(jq -c '.[] | select(.username == "operator") | {username, password}' "$db.accounts.json")"
	code="$(curl -s -o "$TMP/people-login.json" -c "$TMP/people-cookies" -w '%{http_code}' \
		-H 'content-type: application/json' --data "$cred" "http://127.0.0.1:$port/api/v1/session")"
	if [ "$code" != 200 ]; then
		echo "bench: login as the county operator answered $code" >&2
		return 1
	fi
	cookie="Cookie: wg_session=$(awk '$6 == "wg_session" {print $7}' "$TMP/people-cookies")"
	# The requests: first pages of the whole list and of grids, full names, two-character given
	# names and ID numbers of people spread over the CSV, in turn.
	# 200 rows spread over the file (a city's CSV is too big to read whole).
	awk -v step="$(( $(wc -l <"$csv") / 200 + 1 ))" 'NR > 1 && NR % step == 0' "$csv" | node -e '
		const rows = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
		const paths = ["/api/v1/people?limit=20"];
		for (let i = 0; i < 200; i++) {
			const [name, id, , grid] = rows[(i * 7919) % rows.length].split(",");
			const given = [...name].length >= 3 ? [...name].slice(1, 3).join("") : name;
			paths.push(`/api/v1/people?limit=20&grid=${grid}`,
				`/api/v1/people?limit=20&name=${encodeURIComponent(name)}`,
				`/api/v1/people?limit=20&name=${encodeURIComponent(given)}`,
				`/api/v1/people?id_number=${id}`);
		}
		process.stdout.write(`local paths = ${JSON.stringify(paths).replace(/^\[/, "{").replace(/\]$/, "}")}
local i = 0
function setup(thread) end
function init(args) i = math.random(#paths) end
function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end
`);' >"$TMP/people-load.lua"
	code="$(curl -s -o /dev/null -w '%{http_code}' -H "$cookie" "http://127.0.0.1:$port/api/v1/people?limit=20")"
	[ "$code" = 200 ] || { echo "bench: GET /api/v1/people answered $code" >&2; return 1; }
	sleep 1
	idle="$(people_status "$pid")"
	# VmHWM so far holds the login's password check (Argon2id, 64 MiB by default, freed at once);
	# reset the peak (Linux >= 4.0) so the one after the load is the serving peak.
	if echo 5 >"/proc/$pid/clear_refs" 2>/dev/null; then
		peak_reset=1
	else
		peak_reset=0
	fi
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --latency -H "$cookie" -s "$TMP/people-load.lua" \
		"http://127.0.0.1:$port" >"$TMP/people-load.txt" 2>&1
	load="$(people_status "$pid")"
	# The server's connections to the database: each opens the file once (its -wal and -shm
	# aside), the writer and one reader per thread that has read.
	db_conns="$(find "/proc/$pid/fd" -lname "$(realpath "$db")" 2>/dev/null | wc -l)"
	read -r _ cache_size page_size mmap_size cache_bytes < <("$BUILD/bench/bench_people" --pragmas --db "$db")
	echo "server memory serving the city: wangge serve --threads $THREADS on $(du -h "$db" | cut -f1) of database" \
		"($(du -h "$db-wal" 2>/dev/null | cut -f1 || echo 0) of WAL), logged in as the county operator"
	echo "  load: wrk -t$WRK_THREADS -c$CONNS -d${secs}s over people list pages, grid pages, full-name and" \
		"given-name searches and ID lookups: $(awk '/^Requests\/sec:/ {print $2}' "$TMP/people-load.txt") requests/s," \
		"p50 $(to_ms "$(awk '$1 == "50%" {print $2}' "$TMP/people-load.txt")") ms," \
		"p99 $(to_ms "$(awk '$1 == "99%" {print $2}' "$TMP/people-load.txt")") ms," \
		"errors: $(grep -E 'Non-2xx|Socket errors' "$TMP/people-load.txt" | tr -s ' ' | paste -sd ';' - | grep . || echo none)"
	printf '  %-22s %10s %10s %10s %10s %10s  (KiB)\n' "" VmRSS VmHWM RssAnon RssFile RssShmem
	# shellcheck disable=SC2086
	printf '  %-22s %10s %10s %10s %10s %10s\n' "idle, after the login" $idle
	# shellcheck disable=SC2086
	printf '  %-22s %10s %10s %10s %10s %10s\n' \
		"after load" $load
	echo "  (VmHWM is the peak: at idle it includes the login's Argon2id password check, 64 MiB while" \
		"it runs; $([ "$peak_reset" = 1 ] && echo "reset before the load, so after it, it is the load's peak" || echo "/proc/PID/clear_refs refused the reset, so it does after the load too"))"
	echo "  SQLite page cache: cache_size $cache_size ($(if [ "$cache_size" -lt 0 ]; then echo "$((-cache_size)) KiB, SQLite's default"; else echo "$cache_size pages of $page_size bytes"; fi))" \
		"per connection × $db_conns connections open on the database = $((db_conns * cache_bytes / 1024)) KiB at most;" \
		"mmap_size $mmap_size ($([ "$mmap_size" -gt 0 ] && echo "the file is memory-mapped" || echo "no memory-mapped I/O"))"
	awk -v hwm="$(echo "$load" | cut -d' ' -f2)" -v cache="$((db_conns * cache_bytes / 1024))" 'BEGIN {
		printf "  peak RSS beyond the page cache: %d KiB - %d KiB = %.1f MiB (aim < 64 MB; the whole" \
			" peak, cache included, is %.1f MiB)\n", hwm, cache, (hwm - cache) / 1024, hwm / 1024 }'
	while [ ${#PIDS[@]} -gt "$pids_before" ]; do
		kill "${PIDS[-1]}" 2>/dev/null || true
		wait "${PIDS[-1]}" 2>/dev/null || true
		unset 'PIDS[-1]'
	done
}
