#!/usr/bin/env bash
# Jepsen-style convergence with real processes (issue 9).
#
#   tests/reliability/jepsen.sh BUILD_DIR [CHAOS_SECONDS]     (default 30)
#   OUTPOST_JEPSEN_SEED=N replays a run's schedule; OUTPOST_JEPSEN_KEEP=1 keeps
#   the work directory.
#
# HQ (`outpost serve`) and three crossings (BA-BIJ, BA-GRA, XK-VRB, each an
# `outpost run` daemon) are separate processes; each crossing reaches HQ
# through its own outpost-fault-proxy. For CHAOS_SECONDS:
#   * a writer per crossing adds movements with `outpost record add` and logs
#     an id only when the command exited 0 (the acknowledged writes);
#   * every 0.5-2 s the scheduler (seeded) draws one of: SIGKILL a random
#     node process (HQ or a crossing's daemon), restarted 0.2-2.7 s later
#     (20 %; every other kill waits up to 3 s for a session of the victim to
#     be open); restart a link's proxy with a new fault plan: cut a
#     connection after 0.2-30 kB (the handshake is ~1 kB, a movement ~1.5 kB),
#     on every connection, one in 2 or one in 3 (30 %); take a link down for
#     1-4 s (10 %); nothing (40 %). Each restart costs the node an Argon2id
#     key unlock (~1 s of CPU), so kills much more often than this leave the
#     nodes unlocking rather than syncing.
# Then it heals (no more kills, every proxy clean), stops the daemons, syncs
# each crossing with HQ until a session completes (a completed session ends
# with both sides in sync, which check 5 confirms), stops HQ and checks:
#   1. every acknowledged write is present, live, at its crossing and at HQ;
#   2. no duplicates: ids distinct; HQ's count per crossing = the crossing's
#      count = its acknowledged writes (+ any failed `record add` that still
#      committed, reported);
#   3. the digest of each site scope is equal at its crossing and HQ, and of
#      "shared" on all four;
#   4. PRAGMA integrity_check = ok on all four stores; the audit chains verify;
#   5. `status` reports 0 pending both ways on every node.
# The seed fixes the schedule (what is killed or cut, and when), not the
# interleaving with the processes, which depends on the machine's load.
# Exit 0 and a summary line when every check holds; 1 otherwise.
# The writers reseed RANDOM in their subshells on purpose:
# shellcheck disable=SC2030,SC2031
set -euo pipefail

BUILD=$(cd "$1" && pwd)
CHAOS=${2:-30}
SEED=${OUTPOST_JEPSEN_SEED:-$(( $(date +%s%N) / 1000 % 1000000000 ))}
RANDOM=$SEED
echo "jepsen: seed $SEED (OUTPOST_JEPSEN_SEED=$SEED replays), chaos ${CHAOS} s, load average $(cut -d' ' -f1-3 /proc/loadavg)"

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/nodes.sh
source "$SELF_DIR/../../scripts/lib/nodes.sh"
OUTPOST="$BUILD/cli/outpost"
PROXY="$BUILD/tests/tools/outpost-fault-proxy"
for b in "$OUTPOST" "$PROXY"; do [[ -x $b ]] || { echo "jepsen: $b not built" >&2; exit 1; }; done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/outpost-jepsen.XXXXXX")
T0=$(now_ms)

SITES=(bij gra vrb)
declare -A CODE=([bij]=BA-BIJ [gra]=BA-GRA [vrb]=XK-VRB)
declare -A NAME=([bij]="Bijača" [gra]="Gradiška" [vrb]="Vermicë/Vrbnica")
declare -A PID=()       # node (hq or a site) -> its outpost process, when up
declare -A UP_AT=()     # node -> when (ms) to restart it
declare -A LINK_PID=()  # site -> its proxy, when up
declare -A LINK_AT=()   # site -> when (ms) to bring its link back
declare -A LINK_PORT=()
WRITERS=()
KILLS=0 KILLS_HQ=0 KILLS_MID=0 PLANS=0 DOWNS=0
ok=0

cleanup() {
  local p
  touch "$WORK/stop" 2>/dev/null || true
  for p in "${PID[@]}" "${LINK_PID[@]}" "${WRITERS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PID[@]}" "${LINK_PID[@]}" "${WRITERS[@]}"; do wait "$p" 2>/dev/null || true; done
  if ((ok)) && [[ -z ${OUTPOST_JEPSEN_KEEP:-} ]]; then rm -rf "$WORK"; else echo "jepsen: kept $WORK"; fi
}
trap cleanup EXIT
fail() { echo "jepsen: FAILED (seed $SEED): $*" >&2; exit 1; }
elapsed() { echo $((($(now_ms) - T0) / 1000)); }

# ---- set up: HQ, three enrolled crossings, a pre-made day of traffic each ----
cd "$WORK"
nodes_passphrase
HQ_PORT=$(free_port)
nodes_init_hq hq "HQ Sarajevo" "127.0.0.1:$HQ_PORT"
JOBS=()
for s in "${SITES[@]}"; do nodes_site_request "$s" "${NAME[$s]}" "${CODE[$s]}" & JOBS+=($!); done
wait_all "${JOBS[@]}" || fail "a crossing could not be created"
JOBS=()
for s in "${SITES[@]}"; do nodes_site_install hq "$s" & JOBS+=($!); done
wait_all "${JOBS[@]}" || fail "a crossing could not be enrolled"
i=0
for s in "${SITES[@]}"; do
  i=$((i + 1))
  LINK_PORT[$s]=$(free_port)
  op "$s" peers add hq "127.0.0.1:${LINK_PORT[$s]}" >/dev/null
  # Enough movements for the writer never to run out (~5 writes/s at most).
  "$OUTPOST" simulate --site "${CODE[$s]}" --movements $((CHAOS * 6 + 100)) \
    --seed "$((SEED * 10 + i))" --out "$s.jsonl" >/dev/null
done
echo "jepsen: HQ and 3 crossings enrolled ($(elapsed) s)"

start_node() {  # start_node NODE: HQ serves; a crossing runs its daemon
  local n=$1
  if [[ $n == hq ]]; then
    (op_exec hq serve --listen "127.0.0.1:$HQ_PORT" --quiet) >>hq.out 2>>hq.log &
  else
    (op_exec "$n" run --interval 2 --quiet) >>"$n.out" 2>>"$n.log" &
  fi
  PID[$n]=$!
}
kill9_node() {
  kill -9 "${PID[$1]}" 2>/dev/null || true
  wait "${PID[$1]}" 2>/dev/null || true
  unset "PID[$1]"
}
start_link() {  # start_link SITE [FAULT ARGS...]
  local s=$1; shift
  "$PROXY" --listen "127.0.0.1:${LINK_PORT[$s]}" --target "127.0.0.1:$HQ_PORT" "$@" \
    2>>"link-$s.log" &
  LINK_PID[$s]=$!
  echo "$(elapsed) s: link $s up ${*:-(clean)}" >>schedule.log
}
stop_link() {  # SIGTERM: the proxy prints its counters (cuts) as it stops
  kill "${LINK_PID[$1]}" 2>/dev/null || true
  wait "${LINK_PID[$1]}" 2>/dev/null || true
  unset "LINK_PID[$1]"
}
random_plan() { echo --cut-after $((200 + RANDOM % 30000)) --every $((1 + RANDOM % 3)); }

writer() {  # writer SITE: one `record add` at a time; log the id only on exit 0
  local s=$1 line out
  while IFS= read -r line && [[ ! -e $WORK/stop ]]; do
    if out=$(op "$s" --officer "${CODE[$s]}-0042" --json record add movement --file - \
               <<<"$line" 2>>"writer-$s.err"); then
      jq -r .id <<<"$out" | tr -d - >>"acked-$s"
    else
      echo x >>"failed-$s"
    fi
    sleep_ms $((50 + RANDOM % 250))
  done <"$s.jsonl"
}

# ---- chaos -------------------------------------------------------------------
start_node hq
wait_port "$HQ_PORT" 60 || fail "HQ did not start"
for s in "${SITES[@]}"; do
  touch "acked-$s" "failed-$s"
  # shellcheck disable=SC2046  # the plan is words
  start_link "$s" $(random_plan)
  start_node "$s"
done
for s in "${SITES[@]}"; do
  # Each writer draws its own pauses; its seed derives from the run's.
  (RANDOM=$((SEED + ${#WRITERS[@]} + 1)); writer "$s") &
  WRITERS+=($!)
done

END=$(($(now_ms) + CHAOS * 1000))
NODES=(hq "${SITES[@]}")
while (($(now_ms) < END)); do
  now=$(now_ms)
  for n in "${!UP_AT[@]}"; do
    if ((now >= UP_AT[$n])); then start_node "$n"; unset "UP_AT[$n]"; fi
  done
  for s in "${!LINK_AT[@]}"; do
    # shellcheck disable=SC2046
    if ((now >= LINK_AT[$s])); then start_link "$s" $(random_plan); unset "LINK_AT[$s]"; fi
  done
  sleep_ms $((500 + RANDOM % 1500))
  r=$((RANDOM % 100))
  if ((r < 20)); then
    n=${NODES[RANDOM % 4]}
    if [[ -n ${PID[$n]:-} ]]; then
      # Every other kill is aimed: it waits (up to 3 s) for a session of
      # the victim to be open, and strikes then. "live" counts the victim's
      # established connections at the moment of the kill.
      aim_until=$(($(now_ms) + RANDOM % 2 * 3000))
      while :; do
        if [[ $n == hq ]]; then live=$(tcp_established local "$HQ_PORT")
        else live=$(tcp_established remote "${LINK_PORT[$n]}"); fi
        ((live == 0 && $(now_ms) < aim_until)) || break
        sleep 0.02
      done
      kill9_node "$n"
      KILLS=$((KILLS + 1))
      ((live == 0)) || KILLS_MID=$((KILLS_MID + 1))
      [[ $n != hq ]] || KILLS_HQ=$((KILLS_HQ + 1))
      UP_AT[$n]=$(($(now_ms) + 200 + RANDOM % 2500))
      echo "$(elapsed) s: kill -9 $n ($live connections open)" >>schedule.log
    fi
  elif ((r < 50)); then
    s=${SITES[RANDOM % 3]}
    if [[ -n ${LINK_PID[$s]:-} ]]; then
      stop_link "$s"
      # shellcheck disable=SC2046
      start_link "$s" $(random_plan)
      PLANS=$((PLANS + 1))
    fi
  elif ((r < 60)); then
    s=${SITES[RANDOM % 3]}
    if [[ -n ${LINK_PID[$s]:-} ]]; then
      stop_link "$s"
      DOWNS=$((DOWNS + 1))
      LINK_AT[$s]=$(($(now_ms) + 1000 + RANDOM % 3000))
      echo "$(elapsed) s: link $s down" >>schedule.log
    fi
  fi
done

# ---- heal --------------------------------------------------------------------
touch "$WORK/stop"
for p in "${WRITERS[@]}"; do wait "$p" || true; done
WRITERS=()
[[ -n ${PID[hq]:-} ]] || start_node hq
UP_AT=()
for s in "${SITES[@]}"; do
  [[ -z ${LINK_PID[$s]:-} ]] || stop_link "$s"
  start_link "$s"
done
LINK_AT=()
for s in "${SITES[@]}"; do
  [[ -n ${PID[$s]:-} ]] || continue
  kill "${PID[$s]}"
  wait "${PID[$s]}" || true   # SIGTERM: the daemon stops cleanly
  unset "PID[$s]"
done
wait_port "$HQ_PORT" 60 || fail "HQ did not restart"
# Sessions HQ logged during the chaos (one killed with HQ leaves no row).
CHAOS_SESSIONS=$(sqlite3 -readonly hq/outpost.db \
  "SELECT count(*) || ' (' || coalesce(sum(ok), 0) || ' ok)' FROM sync_log WHERE direction = 'in'")
echo "jepsen: chaos over, healing ($(elapsed) s): $KILLS kills, link plans changed $PLANS times, links down $DOWNS times, HQ logged $CHAOS_SESSIONS sessions"

sync_until_ok() {  # a session that completes leaves both sides in sync
  local s=$1
  for _ in $(seq 1 30); do
    op "$s" --json sync --peer hq >>"heal-$s.out" 2>>"heal-$s.err" && return 0
    sleep 0.5
  done
  echo "jepsen: $s could not complete a session with HQ; last: $(tail -2 "heal-$s.err")" >&2
  return 1
}
JOBS=()
for s in "${SITES[@]}"; do sync_until_ok "$s" & JOBS+=($!); done
wait_all "${JOBS[@]}" || fail "a crossing did not converge"
kill "${PID[hq]}"
wait "${PID[hq]}" || true
unset "PID[hq]"
for s in "${SITES[@]}"; do stop_link "$s"; done

# ---- checks ------------------------------------------------------------------
ACKED=0 EXTRA=0 FAILED_ADDS=0 CUTS=0
per_site=""
for s in "${SITES[@]}"; do
  c=${CODE[$s]}
  sort "acked-$s" >"acked-$s.sorted"
  nodes_movement_ids "$s" "$c" | sort >"site-$s.ids"
  nodes_movement_ids hq "$c" | sort >"hq-$s.ids"
  a=$(wc -l <"acked-$s.sorted")
  f=$(wc -l <"failed-$s")
  [[ -z $(uniq -d "acked-$s.sorted") ]] || fail "$c: an id was acknowledged twice"
  for where in site hq; do
    [[ -z $(uniq -d "$where-$s.ids") ]] || fail "$c: duplicate ids at $where"
    lost=$(comm -23 "acked-$s.sorted" "$where-$s.ids" | wc -l)
    ((lost == 0)) || fail "$c: $lost acknowledged writes missing at $where: $(comm -23 "acked-$s.sorted" "$where-$s.ids" | head -3 | tr '\n' ' ')"
  done
  cmp -s "site-$s.ids" "hq-$s.ids" || fail "$c: the crossing and HQ hold different movements"
  extra=$(comm -13 "acked-$s.sorted" "site-$s.ids" | wc -l)
  ((extra <= f)) || fail "$c: $extra movements nobody wrote (acknowledged $a, failed adds $f)"
  d_site=$(nodes_digest "$s" "site:$c") d_hq=$(nodes_digest hq "site:$c")
  [[ $d_site == "$d_hq" ]] || fail "site:$c digest: crossing $d_site, HQ $d_hq"
  [[ $(nodes_digest "$s" shared) == $(nodes_digest hq shared) ]] || fail "shared differs at $c"
  if ! op "$s" --json status | jq -e '[.peers[] | select(.name == "hq" or .name == "HQ Sarajevo")
        | select(.pending_out == 0 and .pending_in == 0)] | length > 0' >/dev/null; then
    fail "$c: status shows batches pending with HQ"
  fi
  ACKED=$((ACKED + a)) EXTRA=$((EXTRA + extra)) FAILED_ADDS=$((FAILED_ADDS + f))
  per_site+=" $c $a"
done
op hq --json status | jq -e '(.peers | length) >= 3 and (.peers | all(.pending_out == 0 and .pending_in == 0))' \
  >/dev/null || fail "HQ's status shows batches pending: $(op hq --json status | jq -c '[.peers[] | {name, pending_out, pending_in}]')"
for n in "${NODES[@]}"; do
  [[ $(nodes_integrity "$n") == ok ]] || fail "$n: integrity_check: $(nodes_integrity "$n" | head -3)"
  op "$n" audit verify >/dev/null 2>>audit.err || fail "$n: audit verify: $(tail -1 audit.err)"
done
((ACKED > 0)) || fail "no write was acknowledged"
# Each proxy prints "N connections, B bytes, C cuts, F flips" as it stops.
CUTS=$(cat link-*.log | awk '/ cuts,/ { for (i = 2; i <= NF; i++) if ($i ~ /^cuts/) n += $(i - 1) } END { print n + 0 }')
ok=1
echo "jepsen: seed $SEED, $(elapsed) s (chaos ${CHAOS} s), writes acknowledged $ACKED (${per_site# }), kills $KILLS (HQ $KILLS_HQ, $KILLS_MID with a session open), link cuts $CUTS, links down $DOWNS, sessions during the chaos $CHAOS_SESSIONS, fault plans changed $PLANS, failed adds $FAILED_ADDS (committed anyway $EXTRA), losses=0, duplicates=0, load average $(cut -d' ' -f1-3 /proc/loadavg)"
