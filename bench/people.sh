# Sourced by bench/run (bash): the people bench (issue 12 part 11). Uses the run's settings and
# helpers (WANGGE, BUILD, TMP, ROOT) and defines bench_people:
#   1. a CSV of BENCH_PEOPLE plausible people (default 200,000; the issue's city is about
#      6,000,000) over the grids of the city-scale demo (bench/gen_people.mjs: valid ID numbers
#      with Liaocheng's county codes, households of one to five in houses);
#   2. `wangge import people` of it into that database: people/s (ID and phone sealed, blind
#      index, house found or registered, dated record, grid counters, one audited write per
#      5,000 rows), against the raw batched SQLite insert of the same rows into a scratch table
#      (bench_people --raw: same CSV reader, same store settings, 5,000 rows per transaction,
#      nothing else) measured in the same run, and the ratio;
#   3. lookups per second by ID number on the imported data: the blind index alone, and
#      person_list (what GET /api/v1/people?id_number= calls).
# Nothing is asserted.

bench_people() {
	local db="$TMP/people.db" csv="$TMP/people.csv" n="${BENCH_PEOPLE:-200000}" grids out
	local imp_s imp_rate raw_rate
	"$WANGGE" demo --db "$db" --scale city >"$TMP/people-demo.log" 2>&1 ||
		{ cat "$TMP/people-demo.log" >&2; return 1; }
	grids="$(sqlite3 "$db" "SELECT code FROM grids WHERE status = 'active' ORDER BY id LIMIT 2000" | tr '\n' ' ')"
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
}
