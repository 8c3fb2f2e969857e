#!/bin/bash
# Quire beside Dovecot on the same machine, in the same run.
#
#   bench/vs-dovecot.sh [--quick] [--only dovecot|quire] [--out FILE]
#                       [--hash sha512|yescrypt] [--workloads LIST]
#
# --workloads takes a comma-separated subset of
# mixed,append,flags,env,search,connect,idle (default: all); only the mail
# those workloads need is loaded, and the table says "not run" for the rest.
#
# Starts a private Dovecot (Debian's dovecot-imapd, installed with apt-get
# when missing and run as root) and a private Quire, both on loopback with
# their data in a temporary folder, the same users and password hashes, and
# the same generated mail. Runs every workload against each, measures the
# memory of idle connections, prints one table and writes bench/RESULTS.md.
# Both servers are stopped on exit, whatever happens.
#
# Mail is loaded with both servers running under build/bench/nofsync.so
# (fsync made a no-op); both are then restarted normally, so every measured
# workload has each server's usual durability.
#
# Passwords: every account of both servers has the same crypt(3) hash.
# SHA-512-crypt by default: with yescrypt (Quire's default for new
# accounts) each login costs ~25 ms of CPU, and 10,000 idle connections to
# Dovecot alone would take more than 8 minutes to log in. Quire gets the
# hash with `quire user add --hash`, as an imported account would.
#
# A workload a server cannot run yet is reported as "n/a (error: ...)".
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
ONLY=""
HASH_SCHEME=sha512
WORKLOADS=mixed,append,flags,env,search,connect,idle
OUT="$ROOT/bench/RESULTS.md"
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--only) ONLY="$2"; shift ;;
	--out) OUT="$2"; shift ;;
	--hash) HASH_SCHEME="$2"; shift ;;
	--workloads) WORKLOADS="$2"; shift ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "vs-dovecot: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

if [ "$QUICK" = 1 ]; then
	FLAGS_N=10000 ENV_N=2000 SEARCH_N=4000
	MIX_USERS=5 MIX_N=200 IDLE_N=1000 DURATION=3 REPEAT_DURATION=2
	MIXED_LOADS="20"
else
	FLAGS_N=100000 ENV_N=10000 SEARCH_N=20000
	MIX_USERS=20 MIX_N=1000 IDLE_N=10000 DURATION=15 REPEAT_DURATION=8
	MIXED_LOADS="20 200"
fi
PASSWORD=bench-$RANDOM$RANDOM
SEED=42
# The run stops itself past this, whatever a server does.
DEADLINE=$(( $(date +%s) + (QUICK ? 600 : 2400) ))

LOADGEN="$ROOT/build/bench/loadgen"
NOFSYNC="$ROOT/build/bench/nofsync.so"
QUIRE="$ROOT/build/quire"
DOVECOT=/usr/sbin/dovecot
WORK=$(mktemp -d /tmp/quire-bench.XXXXXX)
LOG="$WORK/run.log"
DOVECOT_CONF="$WORK/dovecot/dovecot.conf"
QUIRE_PID=""

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }

cleanup() {
	local rc=$?
	trap - INT TERM
	# Load generators still running (this script's own descendants).
	local p
	for p in $(server_pids $$); do
		[ "$p" = $$ ] || [ "$p" = "$QUIRE_PID" ] || kill "$p" 2>/dev/null
	done
	stop_quire
	stop_dovecot
	if [ "${KEEP_WORK:-0}" = 1 ]; then
		echo "vs-dovecot: work folder kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Whether workload $1 was asked for.
want() { case ",$WORKLOADS," in *",$1,"*) return 0 ;; esac; return 1; }

time_left() { echo $(( DEADLINE - $(date +%s) )); }

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

# ---- setup ----

ensure_tools() {
	if [ ! -x "$DOVECOT" ] || [ ! -x /usr/lib/dovecot/imap ]; then
		if [ "$(id -u)" = 0 ]; then
			log "installing dovecot-imapd"
			DEBIAN_FRONTEND=noninteractive apt-get install -y \
				dovecot-imapd >>"$LOG" 2>&1 ||
				{ apt-get update >>"$LOG" 2>&1 &&
				  DEBIAN_FRONTEND=noninteractive apt-get install -y \
					dovecot-imapd >>"$LOG" 2>&1; }
			# The package starts the system instance; the benchmark
			# runs its own.
			systemctl stop dovecot >/dev/null 2>&1 ||
				service dovecot stop >/dev/null 2>&1 || true
		fi
	fi
	[ -x "$DOVECOT" ] || { echo "vs-dovecot: dovecot-imapd missing (run as root to install)" >&2; exit 1; }
	[ "$(id -u)" = 0 ] || { echo "vs-dovecot: run as root (Dovecot needs it to start its private instance)" >&2; exit 1; }
	log "building loadgen and quire"
	make -C "$ROOT" bench >>"$LOG" 2>&1 || { echo "vs-dovecot: make bench failed (see $LOG)" >&2; exit 1; }
	QUIRE_OK=1
	QUIRE_WHY=""
	if ! make -C "$ROOT" -j"$(nproc)" >>"$LOG" 2>&1; then
		QUIRE_OK=0
		QUIRE_WHY="build failed"
		log "quire does not build; its column will say n/a"
	fi
	ulimit -Hn 1048576 2>/dev/null || true
	ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	if [ "$(ulimit -n)" -lt $((IDLE_N + 1000)) ]; then
		log "fd limit $(ulimit -n) is low for $IDLE_N idle connections"
	fi
	# Each Dovecot connection is a process; both need TIME_WAIT reuse on
	# loopback for the connection-rate test (default 2 = loopback only).
	if [ "$(cat /proc/sys/kernel/pid_max)" -lt $((IDLE_N * 3)) ]; then
		echo $((IDLE_N * 3 + 10000)) >/proc/sys/kernel/pid_max 2>/dev/null || true
	fi
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-keyout "$WORK/tls-key.pem" -out "$WORK/tls-cert.pem" >>"$LOG" 2>&1
	# The same hash for every user of both servers, so LOGIN costs the
	# same work in each.
	local salt='$6$quirebenchsalt$'
	[ "$HASH_SCHEME" = yescrypt ] && salt='$y$j9T$jxxpUEZZ6qb9JaA9vBtFV.'
	HASH=$(python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))' "$PASSWORD" "$salt")
	case "$HASH" in
	'$'*) ;;
	*) echo "vs-dovecot: cannot make a $HASH_SCHEME hash" >&2; exit 1 ;;
	esac
	echo "$PASSWORD" >"$WORK/password"
	# The available memory bounds the TLS idle test: a Dovecot TLS
	# connection keeps its own imap-login process (about 2 MB PSS).
	local avail
	avail=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
	IDLE_TLS_N=$IDLE_N
	if [ $((avail * 6 / 10 / 2500)) -lt "$IDLE_TLS_N" ]; then
		IDLE_TLS_N=$((avail * 6 / 10 / 2500))
		log "TLS idle test limited to $IDLE_TLS_N connections by memory"
	fi
}

USERS=()
make_user_list() {
	USERS=(flags env search append)
	local i
	for ((i = 1; i <= MIX_USERS; i++)); do USERS+=("mix$i"); done
}

# ---- Dovecot ----

start_dovecot() {
	local d="$WORK/dovecot"
	chmod 755 "$WORK"
	mkdir -p "$d/run" "$d/mail" "$d/state"
	chmod 755 "$d"
	chown 65534:65534 "$d/mail"
	: >"$d/passwd"
	local u
	for u in "${USERS[@]}"; do
		echo "$u:{CRYPT}$HASH:65534:65534::$d/mail/$u::" >>"$d/passwd"
	done
	DOVECOT_PORT=$(free_port)
	DOVECOT_TLS_PORT=$(free_port)
	cat >"$DOVECOT_CONF" <<EOF
# Private benchmark instance: defaults except paths, ports and the limits
# that 10,000 connections need.
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$WORK/tls-cert.pem
ssl_key = <$WORK/tls-key.pem
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.0/8
auth_mechanisms = plain login
auth_cache_size = 0
mail_location = maildir:~/Maildir
mail_fsync = optimized
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=CRYPT $d/passwd
}
userdb {
  driver = passwd-file
  args = $d/passwd
}
default_process_limit = $((IDLE_N + 2000))
default_client_limit = $((IDLE_N * 3 + 6000))
# Lets the populate phase run under nofsync.so (see the top of the script).
import_environment = TZ CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS LD_PRELOAD
default_vsz_limit = 1G
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_TLS_PORT
    ssl = yes
  }
}
service imap {
  process_limit = $((IDLE_N + 2000))
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = $((IDLE_N * 2))
}
EOF
	run_dovecot "${1:-}"
}

run_dovecot() { # [PRELOAD]
	local d="$WORK/dovecot"
	LD_PRELOAD="${1:-}" "$DOVECOT" -c "$DOVECOT_CONF" >>"$LOG" 2>&1 ||
		{ log "dovecot failed to start"; return 1; }
	wait_port "$DOVECOT_PORT" 20 || { log "dovecot does not listen"; return 1; }
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$d/run/master.pid" ] && break
		sleep 0.1
	done
	DOVECOT_MASTER=$(cat "$d/run/master.pid")
	log "dovecot $("$DOVECOT" --version) on $DOVECOT_PORT / $DOVECOT_TLS_PORT (pid $DOVECOT_MASTER)${1:+, fsync off for loading}"
}

stop_dovecot() {
	[ -f "$DOVECOT_CONF" ] || return 0
	local pid
	pid=$(cat "$WORK/dovecot/run/master.pid" 2>/dev/null) || return 0
	doveadm -c "$DOVECOT_CONF" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$WORK/dovecot/run/master.pid"
	return 0
}

# ---- Quire ----

start_quire() {
	local d="$WORK/quire"
	mkdir -p "$d/data"
	QUIRE_PORT=$(free_port)
	QUIRE_TLS_PORT=$(free_port)
	QUIRE_OPTS=(-o data_dir="$d/data")
	local u
	# The same hash as Dovecot's accounts (see the top of the script).
	for u in "${USERS[@]}"; do
		"$QUIRE" user add "$u" --hash "$HASH" "${QUIRE_OPTS[@]}" >>"$LOG" 2>&1 ||
			{ QUIRE_WHY="user add failed"; log "quire: user add $u failed"; return 1; }
	done
	run_quire "${1:-}"
}

run_quire() { # [PRELOAD]
	local d="$WORK/quire"
	LD_PRELOAD="${1:-}" "$QUIRE" serve "${QUIRE_OPTS[@]}" \
		-o imap_listen=127.0.0.1:"$QUIRE_PORT" \
		-o imaps_listen=127.0.0.1:"$QUIRE_TLS_PORT" \
		-o tls_cert="$WORK/tls-cert.pem" -o tls_key="$WORK/tls-key.pem" \
		-o max_connections=$((IDLE_N * 2 + 1000)) \
		-o max_connections_per_ip=$((IDLE_N * 2)) \
		-o log_level=warn >>"$d/quire.log" 2>&1 &
	QUIRE_PID=$!
	wait_port "$QUIRE_PORT" 20 || { QUIRE_WHY="does not start (see quire.log)"; log "quire does not listen"; tail -5 "$d/quire.log" >&2; return 1; }
	log "quire on $QUIRE_PORT / $QUIRE_TLS_PORT (pid $QUIRE_PID)${1:+, fsync off for loading}"
}

stop_quire() {
	[ -n "$QUIRE_PID" ] || return 0
	kill "$QUIRE_PID" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$QUIRE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$QUIRE_PID" 2>/dev/null
	wait "$QUIRE_PID" 2>/dev/null
	QUIRE_PID=""
	return 0
}

# ---- measuring ----

# Every process of a server: the root pid and all its descendants.
server_pids() { # ROOTPID
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			for (i = 1; i <= NR; i++) {
				p = pids[i]; q = p
				for (n = 0; n < 64 && q != "" && q != 0; n++) {
					if (q == root) { print p; break }
					q = parent[q]
				}
			}
		}'
}

# Total PSS (KB) of a server's processes (RFC-free: Linux
# Documentation/filesystems/proc.rst, smaps_rollup).
total_pss() { # ROOTPID
	server_pids "$1" | sed 's|.*|/proc/&/smaps_rollup|' |
		xargs cat 2>/dev/null | awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}

# Runs the load generator; its output goes to $WORK/lg-NAME.out.
lg() { # NAME ARGS...
	local name=$1
	shift
	local left
	left=$(time_left)
	if [ "$left" -lt 30 ]; then
		echo "SKIPPED time budget spent" >"$WORK/lg-$name.out"
		return 1
	fi
	timeout $((left)) "$LOADGEN" --seed "$SEED" --password "$PASSWORD" \
		--hard-cap $((left > 900 ? 900 : left)) "$@" \
		>"$WORK/lg-$name.out" 2>"$WORK/lg-$name.err"
	local rc=$?
	cat "$WORK/lg-$name.out" >>"$LOG"
	head -5 "$WORK/lg-$name.err" >>"$LOG"
	return $rc
}

# Reads FIELD of the RESULT line for OP in lg-NAME.out; "" when absent.
field() { # NAME OP FIELD
	awk -v op="$2" -v f="$3" '$1 == "RESULT" {
		ok = 0
		for (i = 2; i <= NF; i++) if ($i == "op=" op) ok = 1
		if (!ok) next
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == f) { print kv[2]; exit }
		}
	}' "$WORK/lg-$1.out" 2>/dev/null
}

# A value for the table, or "n/a (error: ...)".
value_of() { # NAME OP FIELD
	local v ops errs why
	ops=$(field "$1" "$2" ops)
	errs=$(field "$1" "$2" errors)
	v=$(field "$1" "$2" "$3")
	if [ -z "$ops" ] || [ "$ops" = 0 ] || [ -z "$v" ]; then
		why=$(grep -m1 -v '^$' "$WORK/lg-$1.err" 2>/dev/null | sed 's/^loadgen: client [0-9]* ([^)]*): //' | cut -c1-70)
		[ -n "$why" ] || why=$(head -c 70 "$WORK/lg-$1.out" 2>/dev/null)
		echo "n/a (error: ${why:-no result})"
		return
	fi
	if [ -n "$errs" ] && [ "$errs" != 0 ]; then
		echo "$v ($errs errors)"
	else
		echo "$v"
	fi
}

# ---- workloads ----

# Loads the same generated mail into a server.
populate() { # SERVER PORT
	local s=$1 port=$2 t0=$SECONDS
	# One connection per mailbox with MULTIAPPEND batches: concurrent
	# appenders to one maildir queue on Dovecot's uidlist lock.
	local args=(--mode populate --port "$port" --pipeline 4 --batch 100 --threads 2)
	local kinds=() pids=()
	if want flags; then
		lg "$s-pop-flags" "${args[@]}" --user-prefix flags --kind small --messages "$FLAGS_N" &
		pids+=($!) kinds+=(flags)
	fi
	if want env; then
		lg "$s-pop-env" "${args[@]}" --user-prefix env --kind varied --messages "$ENV_N" &
		pids+=($!) kinds+=(env)
	fi
	if want search; then
		lg "$s-pop-search" "${args[@]}" --user-prefix search --kind search --messages "$SEARCH_N" &
		pids+=($!) kinds+=(search)
	fi
	if want mixed || want connect || want idle; then
		lg "$s-pop-mix" "${args[@]}" --user-prefix mix --users "$MIX_USERS" --kind varied --messages "$MIX_N" &
		pids+=($!) kinds+=(mix)
	fi
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
	local k
	for k in "${kinds[@]}"; do
		log "$s populate $k: $(grep 'op=APPEND' "$WORK/lg-$s-pop-$k.out" | cut -d' ' -f3-5) $(head -1 "$WORK/lg-$s-pop-$k.err" 2>/dev/null)"
	done
	log "$s populated in $((SECONDS - t0)) s"
}

idle_memory() { # SERVER ROOTPID PORT TLSFLAG TAG COUNT
	local s=$1 pid=$2 port=$3 tls=$4 tag=$5 count=$6
	local ready="$WORK/ready-$s-$tag" before after n
	rm -f "$ready"
	sleep 2
	before=$(total_pss "$pid")
	lg "$s-idle-$tag" --mode idle-memory --port "$port" $tls --user-prefix mix \
		--users "$MIX_USERS" --clients "$count" --threads 2 --ramp 200 \
		--src-addrs 16 --hold 60 --ready-file "$ready" &
	local lgpid=$!
	local i
	for ((i = 0; i < 3000; i++)); do
		[ -f "$ready" ] && break
		kill -0 "$lgpid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -f "$ready" ]; then
		sleep 2
		after=$(total_pss "$pid")
		n=$(cat "$ready")
		rm -f "$ready"
	fi
	wait "$lgpid"
	if [ -n "${n:-}" ] && [ "$n" -gt 0 ]; then
		echo "MEMORY before_kb=$before after_kb=$after idle=$n" >>"$WORK/lg-$s-idle-$tag.out"
		# KB per connection, one decimal.
		awk -v b="$before" -v a="$after" -v n="$n" -v want="$count" 'BEGIN {
			v = (a - b) / n
			if (n < want) printf "%.1f (only %d connected)\n", v, n
			else printf "%.1f\n", v }' >"$WORK/mem-$s-$tag"
	else
		echo "n/a (error: $(grep -m1 . "$WORK/lg-$s-idle-$tag.err" | cut -c1-70))" >"$WORK/mem-$s-$tag"
	fi
	log "$s idle memory $tag: $(cat "$WORK/mem-$s-$tag") KB/conn (PSS $before -> ${after:-?} KB)"
}

# Restarts a server so an idle-memory test starts from a fresh process
# (memory kept by the previous test would hide the growth); sets PID.
restart_server() { # SERVER
	if [ "$1" = dovecot ]; then
		stop_dovecot && run_dovecot && PID=$DOVECOT_MASTER
	else
		stop_quire && run_quire && PID=$QUIRE_PID
	fi
}

# Each workload starts from a quiet disk: what the previous one left to
# write back (the mixed load writes a lot) would otherwise land on the
# next one's fsyncs. Both servers get the same pauses.
settle() {
	sync
	sleep 2
}

run_workloads() { # SERVER ROOTPID PORT TLSPORT
	local s=$1 pid=$2 port=$3 tport=$4 c
	if want mixed; then
		for c in $MIXED_LOADS; do
			settle
			log "$s: mixed, $c clients"
			lg "$s-mixed-$c" --mode mixed --port "$port" --user-prefix mix \
				--users "$MIX_USERS" --clients "$c" --duration "$DURATION" --threads 2
		done
	fi
	if want append; then
		settle
		log "$s: append"
		lg "$s-append" --mode append --port "$port" --user-prefix append \
			--clients 4 --duration "$DURATION"
	fi
	if want flags; then
		settle
		log "$s: select + fetch flags"
		lg "$s-flags" --mode select-fetch-flags --port "$port" --user-prefix flags \
			--clients 1 --duration "$REPEAT_DURATION" --max-ops 50
	fi
	if want env; then
		settle
		log "$s: fetch envelope"
		lg "$s-env" --mode fetch-envelope --port "$port" --user-prefix env \
			--clients 1 --duration "$REPEAT_DURATION" --max-ops 50
	fi
	if want search; then
		settle
		log "$s: search"
		lg "$s-search" --mode search-text --port "$port" --user-prefix search \
			--clients 1 --duration "$REPEAT_DURATION" --max-ops 40
	fi
	if want connect; then
		settle
		log "$s: connect rate"
		lg "$s-connect" --mode connect-rate --port "$port" --user-prefix mix \
			--users "$MIX_USERS" --clients 8 --duration "$DURATION" --threads 2 \
			--src-addrs 16
		lg "$s-connect-tls" --mode connect-rate --port "$tport" --tls --user-prefix mix \
			--users "$MIX_USERS" --clients 8 --duration "$DURATION" --threads 2 \
			--src-addrs 16
	fi
	if want idle; then
		log "$s: idle memory"
		restart_server "$s" || return 1
		idle_memory "$s" "$PID" "$port" "" plain "$IDLE_N"
		restart_server "$s" || return 1
		idle_memory "$s" "$PID" "$tport" --tls tls "$IDLE_TLS_N"
	fi
}

# ---- the table ----

# Ratio where more than 1 means Quire is better. DIR: up (bigger is
# better) or down (smaller is better).
ratio() { # DOVECOT QUIRE DIR
	awk -v d="${1%% *}" -v q="${2%% *}" -v dir="$3" 'BEGIN {
		if (d !~ /^[0-9.]+$/ || q !~ /^[0-9.]+$/ || d == 0 || q == 0) { print "-"; exit }
		r = dir == "up" ? q / d : d / q
		printf "%.2fx\n", r }'
}

ROWS=()
row() { # LABEL UNIT DIR DOVECOT QUIRE GOAL
	ROWS+=("| $1 | $2 | $4 | $5 | $(ratio "$4" "$5" "$3") | $6 |")
}

cell() { # SERVER NAME OP FIELD
	if [ "$1" = quire ] && [ "$QUIRE_OK" != 1 ]; then
		echo "n/a ($QUIRE_WHY)"
	elif [ "$1" = dovecot ] && [ "$ONLY" = quire ]; then
		echo "not run"
	elif [ "$1" = quire ] && [ "$ONLY" = dovecot ]; then
		echo "not run"
	elif [ ! -e "$WORK/lg-$1-$2.out" ]; then
		echo "not run"
	else
		value_of "$1-$2" "$3" "$4"
	fi
}

mem_cell() { # SERVER TAG
	if [ -f "$WORK/mem-$1-$2" ]; then cat "$WORK/mem-$1-$2"
	elif [ "$1" = quire ] && [ "$QUIRE_OK" != 1 ]; then echo "n/a ($QUIRE_WHY)"
	else echo "not run"; fi
}

build_table() {
	local c
	for c in $MIXED_LOADS; do
		row "mixed load, $c clients" "commands/s" up \
			"$(cell dovecot mixed-$c TOTAL ops_per_sec)" \
			"$(cell quire mixed-$c TOTAL ops_per_sec)" ">= 2x"
	done
	row "APPEND 10 KB, 4 clients" "messages/s" up \
		"$(cell dovecot append APPEND ops_per_sec)" \
		"$(cell quire append APPEND ops_per_sec)" ">= 1x"
	row "SELECT + UID FETCH 1:* (FLAGS), $FLAGS_N msgs" "ms (p50)" down \
		"$(cell dovecot flags CYCLE p50_ms)" \
		"$(cell quire flags CYCLE p50_ms)" ">= 2x"
	row "FETCH 1:* (ENVELOPE BODYSTRUCTURE), $ENV_N msgs" "ms (p50)" down \
		"$(cell dovecot env FETCH_ENVELOPE p50_ms)" \
		"$(cell quire env FETCH_ENVELOPE p50_ms)" "> 1x"
	row "SEARCH BODY word, $SEARCH_N msgs" "ms (p50)" down \
		"$(cell dovecot search SEARCH_BODY p50_ms)" \
		"$(cell quire search SEARCH_BODY p50_ms)" ">= 10x"
	row "SEARCH TEXT phrase, $SEARCH_N msgs" "ms (p50)" down \
		"$(cell dovecot search SEARCH_TEXT p50_ms)" \
		"$(cell quire search SEARCH_TEXT p50_ms)" ">= 10x"
	row "LOGIN + SELECT + LOGOUT, 8 clients" "connections/s" up \
		"$(cell dovecot connect CYCLE ops_per_sec)" \
		"$(cell quire connect CYCLE ops_per_sec)" ">= 3x"
	row "the same over TLS" "connections/s" up \
		"$(cell dovecot connect-tls CYCLE ops_per_sec)" \
		"$(cell quire connect-tls CYCLE ops_per_sec)" ""
	row "memory per idle connection (IDLE), $IDLE_N conns" "KB PSS" down \
		"$(mem_cell dovecot plain)" "$(mem_cell quire plain)" ">= 50x"
	row "the same over TLS, $IDLE_TLS_N conns" "KB PSS" down \
		"$(mem_cell dovecot tls)" "$(mem_cell quire tls)" ">= 50x"
}

write_results() {
	local table
	table=$(printf '%s\n' "| workload | unit | Dovecot | Quire | Quire advantage | goal |" \
		"|---|---|---|---|---|---|" "${ROWS[@]}")
	echo
	echo "$table"
	echo
	local qver dver kernel cpu mem
	dver=$("$DOVECOT" --version 2>/dev/null)
	qver=$(cd "$ROOT" && git describe --always --dirty 2>/dev/null)
	kernel=$(uname -r)
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
	{
		echo "# Quire beside Dovecot"
		echo
		echo "Written by \`bench/vs-dovecot.sh$([ "$QUICK" = 1 ] && echo ' --quick')\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
		echo
		echo "- machine: $(nproc) cores ($cpu), $mem RAM, Linux $kernel"
		echo "- Dovecot $dver (Debian dovecot-imapd, maildir, mail_fsync=optimized, no FTS plugin, default services: a process per connection)"
		echo "- passwords: the same $HASH_SCHEME crypt(3) hash in both servers; no auth cache"
		echo "- Quire $qver"
		echo "- OpenSSL $(openssl version | awk '{print $2}'), loadgen $(git -C "$ROOT" log -1 --format=%h -- bench 2>/dev/null)"
		echo
		echo "$table"
		echo
		echo "\"Quire advantage\" is Quire/Dovecot for rates and Dovecot/Quire for"
		echo "times and memory: above 1x means Quire is faster or lighter."
		echo "Memory is the growth of total PSS (/proc/PID/smaps_rollup, summed over"
		echo "every server process: for Dovecot master, imap-login, imap, auth, ...)"
		echo "while $IDLE_N connections are logged in, INBOX selected and in IDLE,"
		echo "divided by the number of connections. Times are medians of repeated"
		echo "runs by one client; rates are over ${DURATION} s. A value with"
		echo "\"errors\" had answers the load generator judged wrong or refused"
		echo "(they are not counted in the rate). Each server is restarted before"
		echo "each idle-memory test. The mixed load sends DONE as soon as IDLE is"
		echo "accepted, so the rate measures the servers, not waiting for mail."
		echo
		echo "Mail: $FLAGS_N small messages (flags), $ENV_N varied MIME messages"
		echo "(envelope), $SEARCH_N text messages with planted words (search),"
		echo "$MIX_USERS users x $MIX_N varied messages (mixed, idle, connect),"
		echo "generated with seed $SEED, identical for both servers."
	} >"$OUT"
	log "wrote $OUT"
}

# ---- main ----

make_user_list
ensure_tools
cat "$LOG" >/dev/null
log "work folder $WORK; $(nproc) cores; quick=$QUICK"

if [ "$ONLY" != quire ]; then
	if start_dovecot "$NOFSYNC"; then
		populate dovecot "$DOVECOT_PORT"
		stop_dovecot
		run_dovecot &&
		run_workloads dovecot "$DOVECOT_MASTER" "$DOVECOT_PORT" "$DOVECOT_TLS_PORT"
	else
		tail -5 "$WORK/dovecot/dovecot.log" >&2
	fi
	stop_dovecot
fi
if [ "$ONLY" != dovecot ] && [ "$QUIRE_OK" = 1 ]; then
	if start_quire "$NOFSYNC"; then
		populate quire "$QUIRE_PORT"
		stop_quire
		run_quire &&
		run_workloads quire "$QUIRE_PID" "$QUIRE_PORT" "$QUIRE_TLS_PORT"
	else
		QUIRE_OK=0
	fi
	stop_quire
fi
build_table
write_results
