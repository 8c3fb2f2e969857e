#!/bin/sh
# Runs every libFuzzer target (built by `make fuzz` into build/fuzz/) for
# SECONDS seconds each over a copy of its seed corpus, and prints the
# executions, coverage (cov: edges, ft: features) and result per target.
# The repository's corpus is never modified: new inputs go to a temporary
# directory, crashes to build/fuzz/findings/<target>/.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (default 60, all targets)
#   JOBS=2 tests/fuzz/run.sh 600                run two targets at a time
#   tests/fuzz/run.sh 0                         replay the seed corpora and
#       the crash reproducers in tests/fuzz/fuzz-*/regressions/ once: a
#       regression test (exit status 1 when any input fails)
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$(cd tests/fuzz && ls -d fuzz-*/ | tr -d /)}
jobs=${JOBS:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/quire-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

make --no-print-directory fuzz >/dev/null || exit 1

run_one() {
	t=$1
	mkdir -p "$work/$t" "build/fuzz/findings/$t"
	cp -R "tests/fuzz/$t/." "$work/$t/"
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	if [ "$secs" -eq 0 ]; then limit=-runs=0; else limit=-max_total_time=$secs; fi
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"build/fuzz/$t" $limit -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=4096 $dict \
		-artifact_prefix="build/fuzz/findings/$t/" \
		"$work/$t" >"$work/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	line=$(grep -aE '^#[0-9]+.*cov:' "$work/$t.log" | tail -1)
	cov=$(echo "$line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$line" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	if [ "$rc" -eq 0 ]; then res=ok; else res="FAILED (rc $rc)"; fi
	printf '%-20s execs %-10s cov %-6s ft %-7s corpus %-6s %s\n' \
		"$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$res"
	if [ "$rc" -ne 0 ]; then
		grep -aE 'ERROR|SUMMARY|runtime error|Test unit written' \
			"$work/$t.log" | head -5 | sed 's/^/    /'
		cp "$work/$t.log" "build/fuzz/findings/$t/last.log"
		return 1
	fi
}

status=0
if [ "$jobs" -le 1 ]; then
	for t in $targets; do run_one "$t" || status=1; done
else
	# simple parallel batches of $jobs targets
	set -- $targets
	while [ $# -gt 0 ]; do
		pids=
		i=0
		while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
			(run_one "$1" >"$work/$1.result"; echo $? >"$work/$1.rc") &
			pids="$pids $!"
			batch="${batch:-} $1"
			shift
			i=$((i + 1))
		done
		wait $pids
		for t in $batch; do
			cat "$work/$t.result"
			[ "$(cat "$work/$t.rc")" = 0 ] || status=1
		done
		batch=
	done
fi
exit $status
