# scripts/lib/nodes.sh: helpers for scripts that run Outpost nodes as real
# processes on this machine (tests/reliability/jepsen.sh, load_sites.sh).
# Source it after setting
#   OUTPOST  the outpost binary
#   WORK     the work directory: one data directory per node, and the
#            passphrase file $WORK/passphrase (written by nodes_passphrase)
# Nothing here starts a process that outlives its call, except op_exec in a
# backgrounded subshell, whose pid the caller owns.
# shellcheck shell=bash

# nodes_passphrase: writes a fresh $WORK/passphrase, mode 0600 (from
# /dev/urandom, not $RANDOM: a seeded caller's sequence stays its own).
nodes_passphrase() {
  (umask 077; echo "test passphrase $(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" >"$WORK/passphrase")
}

# op DIR ARGS...: outpost on the node whose data directory is $WORK/DIR.
op() { local d=$1; shift; "$OUTPOST" --data "$WORK/$d" --passphrase-file "$WORK/passphrase" "$@"; }

# op_exec DIR ARGS...: the same through exec, for `(op_exec DIR run ...) &`:
# $! is then the outpost process itself (a backgrounded function would be a
# subshell, and SIGKILL to it would leave the node running).
op_exec() { local d=$1; shift; exec "$OUTPOST" --data "$WORK/$d" --passphrase-file "$WORK/passphrase" "$@"; }

# free_port: a TCP port on 127.0.0.1 that nothing listens on (from $RANDOM,
# so a seeded caller gets the same ports on a quiet machine).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "free_port: no free port found" >&2
  return 1
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 tries=$((${2:-30} * 10))
  for _ in $(seq 1 "$tries"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "wait_port: nothing accepts on 127.0.0.1:$port after ${2:-30} s" >&2
  return 1
}

# sleep_ms MS
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# now_ms: wall clock in milliseconds.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# nodes_init_hq DIR NAME HOST:PORT: creates HQ; sets HQ_FP to its fingerprint.
nodes_init_hq() {
  op "$1" init --role hq --name "$2" --hq-address "$3" >/dev/null
  HQ_FP=$(op "$1" --json keys show | jq -r .signing_fingerprint)
}

# nodes_site_request DIR NAME CODE: creates a site and its enrollment request
# ($WORK/DIR.request). The site half of enrollment; safe to run in parallel.
nodes_site_request() {
  op "$1" init --role site --name "$2" --site "$3" >/dev/null
  op "$1" keys request --out "$WORK/$1.request" >/dev/null
}

# nodes_site_install HQDIR DIR: HQ enrolls the request, the site installs the
# certificate pinning HQ_FP.
nodes_site_install() {
  op "$1" keys enroll "$WORK/$2.request" --out "$WORK/$2.cert" --yes >/dev/null
  op "$2" keys install "$WORK/$2.cert" --hq-fingerprint "$HQ_FP" >/dev/null
}

# nodes_digest DIR SCOPE: the scope's digest (hex) at that node.
nodes_digest() { op "$1" --json digest --scope "$2" | jq -r .digest; }

# nodes_integrity DIR: PRAGMA integrity_check of the node's store ("ok").
nodes_integrity() { sqlite3 -readonly "$WORK/$1/outpost.db" "PRAGMA integrity_check"; }

# nodes_movement_ids DIR SCOPE_CROSSING: live movement ids of one crossing,
# one per line, as 32 hex digits (read-only SQL: `record list` would audit
# the read and so change the store under test).
nodes_movement_ids() {
  sqlite3 -readonly "$WORK/$1/outpost.db" \
    "SELECT lower(hex(id)) FROM movement WHERE crossing = '$2' AND _cl % 2 = 1"
}

# proc_kb PID FIELD: a /proc/PID/status field in kB (VmRSS, VmHWM); empty if
# the process is gone.
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# tcp_established local|remote PORT: how many IPv4 connections in state
# ESTABLISHED have PORT as their local (or remote) port, from /proc/net/tcp.
tcp_established() {
  local col=3
  [[ $1 == local ]] && col=2
  awk -v c="$col" -v p=":$(printf '%04X' "$2")" \
    'NR > 1 && $4 == "01" && substr($c, length($c) - 4) == p { n++ } END { print n + 0 }' /proc/net/tcp
}

# wait_all PID...: waits for every one; fails (1) if any exited non-zero.
wait_all() {
  local p rc=0
  for p in "$@"; do wait "$p" || rc=1; done
  return "$rc"
}
