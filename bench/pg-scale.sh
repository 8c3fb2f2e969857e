#!/bin/bash
# Quire's mixed load on SQLite, on PostgreSQL with one front end, and on
# PostgreSQL with two front ends, in the same run (issue 10, part 5).
#
#   bench/pg-scale.sh [--quick] [--out FILE] [--rounds N] [--workers N]
#                     [--statements]
#
# Runs as root. Builds Quire and the load generator, starts a private
# PostgreSQL (initdb in a temporary folder, run as `nobody`, TCP on
# 127.0.0.1 only) and four `quire serve` processes on loopback ports:
#
#   sqlite  one front end, store = sqlite
#   pg1     one front end, store = postgresql, database pg1
#   pg2     two front ends on different ports sharing database pg2 and
#           one blob_dir; the clients are spread over both
#
# Every store gets the same generated mail (vs-dovecot.sh's mixed data:
# 20 users x 1,000 varied messages) while fsync is off (nofsync.so for
# Quire, fsync=off for PostgreSQL); PostgreSQL is then restarted with its
# defaults, so the measured runs have each store's normal durability.
# `loadgen --mode mixed` then runs with 20 and 200 clients against each
# configuration in turn, ROUNDS times (interleaved, so drifting load from
# other users of the machine spreads over all three). For every run it
# records the CPU time of the Quire processes, of every PostgreSQL process,
# of the load generator and of the whole machine, and samples the wait
# events of PostgreSQL's active backends (pg_stat_activity).
#
# Prints one table and writes bench/RESULTS-pg.md (the text below its
# "notes kept" marker, written by hand, survives a new run). Everything it
# starts is stopped on exit, whatever happens; the run stops itself after
# 20 minutes (10 with --quick). KEEP_WORK=1 keeps the temporary folder.
# --workers sets every front end's worker threads (default: Quire's, one
# per core); a store call blocks its worker, so this bounds the commands
# one front end has in flight. --statements loads pg_stat_statements
# (not a default setting, so off by default) and lists the statements
# PostgreSQL ran most often per IMAP command.
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
ROUNDS=""
WORKERS=0
STATEMENTS=0
OUT="$ROOT/bench/RESULTS-pg.md"
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--out) OUT="$2"; shift ;;
	--rounds) ROUNDS="$2"; shift ;;
	--workers) WORKERS="$2"; shift ;;
	--statements) STATEMENTS=1 ;;
	-h|--help) sed -n '2,37p' "$0"; exit 0 ;;
	*) echo "pg-scale: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

if [ "$QUICK" = 1 ]; then
	MIX_USERS=5 MIX_N=200 DURATION=3 LOADS="20"
	ROUNDS=${ROUNDS:-1}
else
	MIX_USERS=20 MIX_N=1000 DURATION=15 LOADS="20 200"
	ROUNDS=${ROUNDS:-3}
fi
case "$ROUNDS" in
[1-9]|1[0-9]) ;;
*) echo "pg-scale: --rounds takes 1..19" >&2; exit 2 ;;
esac
case "$WORKERS" in
[0-9]|[1-9][0-9]) ;;
*) echo "pg-scale: --workers takes 0..99" >&2; exit 2 ;;
esac
CONFIGS="sqlite pg1 pg2"
PASSWORD=bench-$RANDOM$RANDOM
SEED=42
DEADLINE=$(( $(date +%s) + (QUICK ? 600 : 1200) ))

PG_BIN=${QUIRE_PG_BIN:-/usr/lib/postgresql/15/bin}
LOADGEN="$ROOT/build/bench/loadgen"
NOFSYNC="$ROOT/build/bench/nofsync.so"
QUIRE="$ROOT/build/quire"
WORK=$(mktemp -d /tmp/quire-pgscale.XXXXXX)
LOG="$WORK/run.log"
PGDIR="$WORK/pg"
PG_STARTED=0
declare -A QPID=()     # front end name -> pid
declare -A QPORT=()    # front end name -> IMAP port
HZ=$(getconf CLK_TCK)

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }
time_left() { echo $(( DEADLINE - $(date +%s) )); }

# ---- starting and stopping ----

cleanup() {
	local rc=$?
	trap - INT TERM
	[ -n "${SAMPLER_PID:-}" ] && kill "$SAMPLER_PID" 2>/dev/null
	[ -n "${LG_PID:-}" ] && kill "$LG_PID" 2>/dev/null
	local f
	for f in "${!QPID[@]}"; do stop_quire "$f"; done
	stop_pg
	if [ "${KEEP_WORK:-0}" = 1 ]; then
		echo "pg-scale: work folder kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # PORT SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

as_pg() { timeout 120 runuser -u nobody -- "$@"; }

pg_conninfo() { # DB
	echo "host=127.0.0.1 port=$PG_PORT user=quire dbname=$1"
}

psql_q() { # DB SQL
	timeout 30 psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(pg_conninfo "$1")" -c "$2"
}

# PostgreSQL's defaults except the address, plus what the load phase may
# skip (fsync) when LOADING=1.
start_pg() { # LOADING
	local extra=""
	[ "$1" = 1 ] && extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	[ "$1" = 0 ] && [ "$STATEMENTS" = 1 ] &&
		extra="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
	as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -w -t 60 -l "$PGDIR/log" -o \
		"-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDIR $extra" \
		start >>"$LOG" 2>&1 || { log "postgresql does not start"; tail -5 "$PGDIR/log" >&2; return 1; }
	PG_STARTED=1
	PG_MASTER=$(head -1 "$PGDIR/data/postmaster.pid")
	log "postgresql on 127.0.0.1:$PG_PORT (pid $PG_MASTER) $extra"
}

stop_pg() {
	[ "$PG_STARTED" = 1 ] || return 0
	as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >>"$LOG" 2>&1 ||
		kill -9 "$PG_MASTER" 2>/dev/null
	PG_STARTED=0
	return 0
}

init_pg() {
	chmod 755 "$WORK"
	mkdir -p "$PGDIR"
	chown nobody "$PGDIR"
	PG_PORT=$(free_port)
	as_pg "$PG_BIN/initdb" -D "$PGDIR/data" -A trust -U quire -E UTF8 \
		--locale=C.UTF-8 >>"$LOG" 2>&1 || { log "initdb failed"; return 1; }
	start_pg 1 && psql_q postgres "CREATE DATABASE pg1" >>"$LOG"
}

# Store options of a configuration.
store_opts() { # CONFIG FRONTEND
	case "$1" in
	sqlite) echo "-o data_dir=$WORK/sqlite" ;;
	*) echo "-o data_dir=$WORK/fe-$2 -o store=postgresql -o blob_dir=$WORK/blobs-$1" ;;
	esac
}

quire_pg_opt() { # CONFIG
	[ "$1" = sqlite ] || echo "pg_conninfo=$(pg_conninfo "$1")"
}

start_quire() { # CONFIG FRONTEND [PRELOAD]
	local cfg=$1 fe=$2 port
	port=$(free_port)
	mkdir -p "$WORK/fe-$fe"
	local pgopt=()
	[ "$cfg" = sqlite ] || pgopt=(-o "$(quire_pg_opt "$cfg")")
	# shellcheck disable=SC2046
	LD_PRELOAD="${3:-}" "$QUIRE" serve $(store_opts "$cfg" "$fe") "${pgopt[@]}" \
		-o imap_listen=127.0.0.1:"$port" -o imaps_listen= \
		-o max_connections_per_ip=2000 -o log_level=warn -o workers="$WORKERS" \
		>>"$WORK/fe-$fe/quire.log" 2>&1 &
	QPID[$fe]=$!
	QPORT[$fe]=$port
	wait_port "$port" 20 || { log "quire $fe does not listen"; tail -5 "$WORK/fe-$fe/quire.log" >&2; return 1; }
	log "quire $fe ($cfg) on 127.0.0.1:$port (pid ${QPID[$fe]})${3:+, fsync off for loading}"
}

stop_quire() { # FRONTEND
	local pid=${QPID[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "QPID[$1]"
	return 0
}

# ---- data ----

add_users() { # CONFIG
	local cfg=$1 u i pgopt=()
	[ "$cfg" = sqlite ] || pgopt=(-o "$(quire_pg_opt "$cfg")")
	mkdir -p "$WORK/fe-$cfg" "$WORK/sqlite"
	for ((i = 1; i <= MIX_USERS; i++)); do
		u=mix$i
		# shellcheck disable=SC2046
		printf '%s\n' "$PASSWORD" | "$QUIRE" user add "$u" --password-stdin \
			$(store_opts "$cfg" "$cfg") "${pgopt[@]}" >>"$LOG" 2>&1 ||
			{ log "quire user add $u ($cfg) failed"; return 1; }
	done
	# SHA-512-crypt, as vs-dovecot.sh does: a yescrypt LOGIN costs ~25 ms
	# of CPU and the mixed load reconnects (4 %), which would turn this
	# into a password-hashing benchmark.
	local sql="UPDATE users SET password_hash = '$HASH' WHERE name LIKE 'mix%'"
	if [ "$cfg" = sqlite ]; then
		sqlite3 "$WORK/sqlite/quire.db" "$sql" >>"$LOG" 2>&1
	else
		psql_q "$cfg" "$sql" >>"$LOG"
	fi || { log "setting password hashes ($cfg) failed"; return 1; }
}

# The same generated mail in one configuration's store.
populate() { # CONFIG
	local cfg=$1 t0=$SECONDS
	start_quire "$cfg" "$cfg" "$NOFSYNC" || return 1
	timeout $(( $(time_left) > 30 ? $(time_left) : 30 )) "$LOADGEN" \
		--seed "$SEED" --password "$PASSWORD" --mode populate \
		--port "${QPORT[$cfg]}" --pipeline 4 --batch 100 --threads 2 \
		--user-prefix mix --users "$MIX_USERS" --kind varied \
		--messages "$MIX_N" >"$WORK/pop-$cfg.out" 2>"$WORK/pop-$cfg.err"
	local rc=$?
	stop_quire "$cfg"
	log "$cfg populated in $((SECONDS - t0)) s: $(grep 'op=APPEND' "$WORK/pop-$cfg.out" | cut -d' ' -f3-5) $(head -1 "$WORK/pop-$cfg.err")"
	return $rc
}

setup() {
	[ "$(id -u)" = 0 ] || { echo "pg-scale: run as root (PostgreSQL is started as nobody)" >&2; exit 1; }
	[ -x "$PG_BIN/initdb" ] || { echo "pg-scale: no PostgreSQL in $PG_BIN (apt-get install postgresql)" >&2; exit 1; }
	log "building loadgen and quire"
	make -C "$ROOT" bench >>"$LOG" 2>&1 &&
		make -C "$ROOT" -j"$(nproc)" >>"$LOG" 2>&1 ||
		{ echo "pg-scale: build failed (see $LOG)" >&2; exit 1; }
	ulimit -n 65536 2>/dev/null || true
	HASH=$(openssl passwd -6 -salt quirebenchsalt "$PASSWORD")
	case "$HASH" in
	'$6$'*) ;;
	*) echo "pg-scale: cannot make a SHA-512-crypt hash" >&2; exit 1 ;;
	esac
	init_pg || exit 1
	add_users sqlite && populate sqlite || exit 1
	add_users pg1 && populate pg1 || exit 1
	# pg2 starts from exactly pg1's data: a copy of the database and of
	# the blob files it names.
	psql_q postgres "CREATE DATABASE pg2 TEMPLATE pg1" >>"$LOG" &&
		cp -a "$WORK/blobs-pg1" "$WORK/blobs-pg2" || { log "copying pg1 failed"; exit 1; }
	stop_pg
	start_pg 0 || exit 1
	if [ "$STATEMENTS" = 1 ]; then
		psql_q pg1 "CREATE EXTENSION pg_stat_statements" &&
			psql_q pg2 "CREATE EXTENSION pg_stat_statements" ||
			{ log "no pg_stat_statements"; exit 1; }
	fi
	start_quire sqlite sqlite && start_quire pg1 pg1 &&
		start_quire pg2 pg2a && start_quire pg2 pg2b || exit 1
}

# ---- measuring ----

# Every descendant of ROOTPID, ROOTPID included.
tree_pids() { # ROOTPID
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			for (i = 1; i <= NR; i++) {
				q = pids[i]
				for (n = 0; n < 64 && q != "" && q != 0; n++) {
					if (q == root) { print pids[i]; break }
					q = parent[q]
				}
			}
		}'
}

# CPU ticks (user + system, all threads) of the given processes; with
# --children also the time of their reaped children, so PostgreSQL
# backends that exit between two readings still count.
cpu_ticks() { # [--children] PID...
	local kids=0
	[ "$1" = --children ] && { kids=1; shift; }
	local p
	for p in "$@"; do
		# Fields after "(comm) ": utime is the 12th, cutime the 14th
		# (proc(5) numbers them 14 and 16).
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null
	done | awk -v kids=$kids '{ t += $12 + $13; if (kids) t += $14 + $15 } END { print t + 0 }'
}

machine_ticks() { # prints "BUSY TOTAL"
	awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9
		total = busy + $5 + $6; print busy, total }' /proc/stat
}

# shellcheck disable=SC2046
pg_ticks() { cpu_ticks --children $(tree_pids "$PG_MASTER"); }

pg_counters() { # DB -> "COMMITS WALSYNCS"
	psql_q "$1" "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()), (SELECT wal_sync FROM pg_stat_wal)" | tr '|' ' '
}

# Wait events of the database's busy backends, twice a second until
# killed: one "state|wait_event_type:wait_event" line per backend.
sample_waits() { # DB FILE
	while :; do
		psql_q "$1" "SELECT state || '|' || coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'" >>"$2" 2>/dev/null
		echo "--" >>"$2"
		sleep 0.5
	done
}

# One measured run: loadgen mixed against CONFIG with CLIENTS clients;
# its output and the resource figures go to $WORK/run-NAME.*.
run_one() { # CONFIG CLIENTS ROUND
	local cfg=$1 c=$2 name="$1-$2-$3" ports fe
	case "$cfg" in
	pg2) ports="${QPORT[pg2a]},${QPORT[pg2b]}" ;;
	*) ports=${QPORT[$cfg]} ;;
	esac
	local qpids=()
	for fe in "${!QPID[@]}"; do
		case "$fe" in "$cfg"|"$cfg"?) qpids+=("${QPID[$fe]}") ;; esac
	done
	local left
	left=$(time_left)
	if [ "$left" -lt $((DURATION + 30)) ]; then
		echo "SKIPPED time budget spent" >"$WORK/run-$name.out"
		log "$name skipped: time budget spent"
		return 1
	fi
	local db=pg1
	[ "$cfg" = pg2 ] && db=pg2
	local q0 p0 m0 k0
	: >"$WORK/run-$name.waits"
	k0=$(pg_counters "$db")
	[ "$STATEMENTS" = 1 ] && psql_q "$db" "SELECT pg_stat_statements_reset()" >/dev/null
	if [ "$cfg" != sqlite ]; then
		sample_waits "$db" "$WORK/run-$name.waits" &
		SAMPLER_PID=$!
	fi
	q0=$(cpu_ticks "${qpids[@]}")
	p0=$(pg_ticks)
	m0=$(machine_ticks)
	local t0 t1
	t0=$(date +%s.%N)
	TIMEFORMAT='%U %S'
	{ time timeout "$left" "$LOADGEN" --seed "$SEED" --password "$PASSWORD" \
		--mode mixed --port "$ports" --user-prefix mix --users "$MIX_USERS" \
		--clients "$c" --duration "$DURATION" --threads 2 \
		--hard-cap $((DURATION + 120)) \
		>"$WORK/run-$name.out" 2>"$WORK/run-$name.err" ; } 2>"$WORK/run-$name.lgtime"
	t1=$(date +%s.%N)
	local q1 p1 m1 k1
	q1=$(cpu_ticks "${qpids[@]}")
	p1=$(pg_ticks)
	m1=$(machine_ticks)
	if [ -n "${SAMPLER_PID:-}" ]; then
		kill "$SAMPLER_PID" 2>/dev/null
		wait "$SAMPLER_PID" 2>/dev/null
		SAMPLER_PID=""
	fi
	k1=$(pg_counters "$db")
	[ "$STATEMENTS" = 1 ] && [ "$cfg" != sqlite ] && psql_q "$db" "
		(SELECT calls || E'\t' || round(total_exec_time) || E'\t' ||
			left(regexp_replace(query, '\s+', ' ', 'g'), 110)
		FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY calls DESC LIMIT 10)
		UNION ALL
		SELECT sum(calls) || E'\t' || round(sum(total_exec_time)) ||
			E'\t' || '(all statements of the database)'
		FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())" >"$WORK/run-$name.stmts"
	# Cores used over the whole loadgen run (setup included), per party.
	awk -v t0="$t0" -v t1="$t1" -v hz="$HZ" -v q0="$q0" -v q1="$q1" \
		-v p0="$p0" -v p1="$p1" -v m0="$m0" -v m1="$m1" -v k0="$k0" \
		-v k1="$k1" -v lg="$(cat "$WORK/run-$name.lgtime")" 'BEGIN {
		s = t1 - t0
		split(m0, a, " "); split(m1, b, " ")
		split(lg, l, " "); split(k0, c0, " "); split(k1, c1, " ")
		quire = (q1 - q0) / hz / s; pg = (p1 - p0) / hz / s
		lgc = (l[1] + l[2]) / s
		busy = (b[1] - a[1]) / hz / s
		other = busy - quire - pg - lgc
		printf "CPU quire=%.2f postgres=%.2f loadgen=%.2f machine=%.2f other=%.2f commits_per_s=%.0f walsyncs_per_s=%.0f\n",
			quire, pg, lgc, busy, other < 0 ? 0 : other,
			(c1[1] - c0[1]) / s, (c1[2] - c0[2]) / s }' >"$WORK/run-$name.cpu"
	log "$name: $(grep 'op=TOTAL' "$WORK/run-$name.out" | cut -d' ' -f4-8) | $(cat "$WORK/run-$name.cpu") $(head -1 "$WORK/run-$name.err")"
}

# ---- the tables ----

field() { # FILE OP FIELD
	awk -v op="$2" -v f="$3" '$1 == "RESULT" || $1 == "SUMMARY" || $1 == "CPU" {
		if (op != "" && $1 == "RESULT") {
			ok = 0
			for (i = 2; i <= NF; i++) if ($i == "op=" op) ok = 1
			if (!ok) next
		}
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == f) { print kv[2]; exit }
		}
	}' "$1" 2>/dev/null
}

# The round with the median TOTAL rate of CONFIG at CLIENTS.
median_round() { # CONFIG CLIENTS
	local r v
	for ((r = 1; r <= ROUNDS; r++)); do
		v=$(field "$WORK/run-$1-$2-$r.out" TOTAL ops_per_sec)
		[ -n "$v" ] && echo "$v $r"
	done | sort -n | awk '{ v[NR] = $2 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

rates() { # CONFIG CLIENTS -> "min-max" over the rounds
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		field "$WORK/run-$1-$2-$r.out" TOTAL ops_per_sec
	done | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR > 1) printf "%s-%s", lo, hi; else if (NR) print "-" }'
}

errors_sum() { # CONFIG CLIENTS
	local r e f
	for ((r = 1; r <= ROUNDS; r++)); do
		e=$(field "$WORK/run-$1-$2-$r.out" "" errors_total)
		f=$(field "$WORK/run-$1-$2-$r.out" "" failed)
		echo "${e:-0} ${f:-0}"
	done | awk '{ e += $1; f += $2 } END { printf "%d%s", e, f ? " (" f " clients failed)" : "" }'
	# The first complaint, so a reader sees what kind of error it was.
	local first
	first=$(cat "$WORK"/run-"$1"-"$2"-*.err 2>/dev/null | grep -m1 '^loadgen: client' |
		sed 's/^loadgen: client [0-9]* ([^)]*): //; s/|/\\|/g' | cut -c1-70)
	[ -z "$first" ] || printf ': %s' "$first"
}

# What the front ends logged (log_level=warn): lines per front end and
# the first two distinct messages, without their session ids.
server_logs() {
	local fe f n
	for f in "$WORK"/fe-*/quire.log; do
		fe=${f%/quire.log}
		fe=${fe##*/fe-}
		n=$(grep -c . "$f")
		[ "$n" = 0 ] && continue
		echo "- $fe: $n line(s), e.g. $(sed 's/\[[0-9a-f]*\] //; s/[0-9][0-9]*/N/g' "$f" | sort | uniq -c | sort -rn | head -2 | awk '{ $1 = $1 "x"; print }' | paste -sd ';' | sed 's/|/\\|/g')"
	done
}

ratio() { # VALUE BASE
	awk -v v="$1" -v b="$2" 'BEGIN {
		if (v !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || v == 0 || b == 0) { print "-"; exit }
		printf "%.2fx\n", v / b }'
}

label() {
	case "$1" in
	sqlite) echo "SQLite, 1 front end" ;;
	pg1) echo "PostgreSQL, 1 front end" ;;
	pg2) echo "PostgreSQL, 2 front ends" ;;
	esac
}

# What the busy backends were doing, summed over every sample of CONFIG
# at CLIENTS (all rounds): "N active/sample; CPU 40%, Lock:... 20%, ...".
wait_summary() { # CONFIG CLIENTS
	cat "$WORK"/run-"$1"-"$2"-*.waits 2>/dev/null | awk '
		$0 == "--" { samples++; next }
		NF { n++; split($0, a, "|"); k = a[1] == "active" ? a[2] : a[1]; c[k]++ }
		END {
			if (!samples) { print "-"; exit }
			printf "%.1f busy backends per sample;", n / samples
			m = 0
			for (k in c) keys[++m] = k
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
				if (c[keys[j]] > c[keys[i]]) { t = keys[i]; keys[i] = keys[j]; keys[j] = t }
			for (i = 1; i <= m && i <= 6; i++)
				printf " %s %d%%%s", keys[i], 100 * c[keys[i]] / n, i < m && i < 6 ? "," : ""
			print ""
		}'
}

build_tables() {
	TABLE=$(
	echo "| clients | store, front ends | commands/s | rate vs SQLite | range over rounds | p50 ms | p99 ms | p99 vs SQLite | errors |"
	echo "|---|---|---|---|---|---|---|---|---|"
	local c cfg r f base_rate base_p99 rate p50 p99
	for c in $LOADS; do
		r=$(median_round sqlite "$c")
		base_rate=$(field "$WORK/run-sqlite-$c-$r.out" TOTAL ops_per_sec)
		base_p99=$(field "$WORK/run-sqlite-$c-$r.out" TOTAL p99_ms)
		for cfg in $CONFIGS; do
			r=$(median_round "$cfg" "$c")
			if [ -z "$r" ]; then
				f="$WORK/run-$cfg-$c-1"
				echo "| $c | $(label "$cfg") | n/a ($(head -c 60 "$f.err" 2>/dev/null || echo 'not run')) | | | | | | |"
				continue
			fi
			f="$WORK/run-$cfg-$c-$r.out"
			rate=$(field "$f" TOTAL ops_per_sec)
			p50=$(field "$f" TOTAL p50_ms)
			p99=$(field "$f" TOTAL p99_ms)
			echo "| $c | $(label "$cfg") | $rate | $(ratio "$rate" "$base_rate") | $(rates "$cfg" "$c") | $p50 | $p99 | $(ratio "$p99" "$base_p99") | $(errors_sum "$cfg" "$c") |"
		done
	done)
	CPU_TABLE=$(
	echo "| clients | store, front ends | Quire | PostgreSQL | loadgen | whole machine | others' load | commits/s | WAL fsyncs/s |"
	echo "|---|---|---|---|---|---|---|---|---|"
	local c cfg r f
	for c in $LOADS; do
		for cfg in $CONFIGS; do
			r=$(median_round "$cfg" "$c")
			[ -n "$r" ] || continue
			f="$WORK/run-$cfg-$c-$r.cpu"
			local com wal
			com=$(field "$f" "" commits_per_s) wal=$(field "$f" "" walsyncs_per_s)
			[ "$cfg" = sqlite ] && com="-" wal="-"
			echo "| $c | $(label "$cfg") | $(field "$f" "" quire) | $(field "$f" "" postgres) | $(field "$f" "" loadgen) | $(field "$f" "" machine) | $(field "$f" "" other) | $com | $wal |"
		done
	done)
	WAITS=$(
	local c cfg
	for c in $LOADS; do
		for cfg in pg1 pg2; do
			echo "- $c clients, $(label "$cfg"): $(wait_summary "$cfg" "$c")"
		done
	done)
}

# The most frequent statements of the median runs, per IMAP command.
statements() {
	local c cfg r f ops
	for c in $LOADS; do
		for cfg in pg1 pg2; do
			r=$(median_round "$cfg" "$c")
			f="$WORK/run-$cfg-$c-$r"
			[ -n "$r" ] && [ -s "$f.stmts" ] || continue
			ops=$(field "$f.out" TOTAL ops)
			echo
			echo "$c clients, $(label "$cfg"), $ops IMAP commands:"
			echo
			echo "| calls per command | ms in all | statement |"
			echo "|---|---|---|"
			awk -F'\t' -v ops="$ops" '{ gsub(/\|/, "\\|", $3)
				printf "| %.2f | %s | `%s` |\n", $1 / ops, $2, $3 }' "$f.stmts"
		done
	done
}

write_results() {
	echo
	echo "$TABLE"
	echo
	echo "CPU, in cores (of $(nproc)), over the median run:"
	echo "$CPU_TABLE"
	echo
	echo "$WAITS"
	echo
	local notes=""
	[ -f "$OUT" ] && notes=$(sed -n '/^<!-- notes kept by pg-scale.sh -->$/,$p' "$OUT")
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
	{
		echo "# Quire on SQLite and on PostgreSQL, one and two front ends"
		echo
		echo "Written by \`bench/pg-scale.sh$([ "$QUICK" = 1 ] && echo ' --quick')\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
		echo
		echo "- machine: $(nproc) cores ($cpu), $mem RAM, Linux $(uname -r); shared with other engineers' builds and tests while it ran (see \"others' load\" below), so the figures are noisy"
		echo "- Quire $(git -C "$ROOT" describe --always --dirty 2>/dev/null), $([ "$WORKERS" = 0 ] && echo "$(nproc) workers per front end (the default)" || echo "$WORKERS workers per front end"), log_level=warn"
		echo "- $("$PG_BIN/postgres" --version) with its default settings (fsync on, synchronous_commit on, shared_buffers 128 MB)$([ "$STATEMENTS" = 1 ] && echo ' plus pg_stat_statements'), TCP on 127.0.0.1; one cluster for both PostgreSQL configurations (databases pg1 and pg2)"
		echo "- SQLite $(sqlite3 --version | cut -d' ' -f1) (WAL, synchronous=FULL), libpq $(pkg-config --modversion libpq), OpenSSL $(openssl version | awk '{print $2}'), loadgen $(git -C "$ROOT" log -1 --format=%h -- bench/loadgen 2>/dev/null)"
		echo "- data: $MIX_USERS users x $MIX_N varied MIME messages (seed $SEED), loaded with fsync off, then measured with each store's normal durability; the two PostgreSQL configurations start from copies of one database"
		echo "- load: \`loadgen --mode mixed\` (see README.md), ${DURATION} s per run, $ROUNDS round(s) per configuration, interleaved; SHA-512-crypt passwords"
		echo
		echo "$TABLE"
		echo
		echo "Commands/s, p50 and p99 are those of the round with the median rate;"
		echo "\"range\" is the lowest and highest rate over the rounds; errors are"
		echo "summed over all rounds (a wrong or refused answer counts as an error,"
		echo "never as throughput). \"vs SQLite\" divides by the SQLite row: above"
		echo "1x is a higher rate, or a longer p99. With two front ends the load"
		echo "generator spreads the clients, and each user's clients, evenly over"
		echo "both ports, so changes cross between them."
		echo
		echo "## Where the CPU went"
		echo
		echo "Cores busy during the median run (CPU time from /proc/PID/stat"
		echo "before and after, over the wall time of the loadgen run): Quire is"
		echo "the front end(s) of that configuration, PostgreSQL every process of"
		echo "the cluster (backends that exited included), the whole machine from"
		echo "/proc/stat, and \"others' load\" what is left: processes that are not"
		echo "part of this benchmark. Commits and WAL fsyncs come from"
		echo "pg_stat_database and pg_stat_wal."
		echo
		echo "$CPU_TABLE"
		echo
		echo "What PostgreSQL's busy (not idle) client backends were doing,"
		echo "sampled twice a second from pg_stat_activity over every round: CPU"
		echo "means no wait event; \`idle in transaction\` is a transaction"
		echo "waiting for its front end; Lock:... is a heavyweight-lock wait,"
		echo "IO:WALSync and LWLock:WALWrite the commit fsync."
		echo
		echo "$WAITS"
		echo
		local logs
		logs=$(server_logs)
		echo "Front-end logs (warnings and errors; measured runs and loading):"
		echo
		echo "${logs:-- none}"
		echo
		if [ "$STATEMENTS" = 1 ]; then
			echo "## Statements"
			echo
			echo "With \`--statements\` (pg_stat_statements loaded): the statements"
			echo "PostgreSQL ran most often during the median runs."
			statements
			echo
		fi
		if [ -n "$notes" ]; then
			echo "$notes"
		else
			echo "<!-- notes kept by pg-scale.sh -->"
		fi
	} >"$OUT"
	log "wrote $OUT"
}

# ---- main ----

log "work folder $WORK; $(nproc) cores; quick=$QUICK rounds=$ROUNDS"
setup
for c in $LOADS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for cfg in $CONFIGS; do
			log "mixed, $c clients, $(label "$cfg"), round $r"
			run_one "$cfg" "$c" "$r"
		done
	done
done
build_tables
write_results
