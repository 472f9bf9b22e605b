#!/usr/bin/env bash
# kill -9 mid-session (issue 6), with real processes: HQ runs `outpost serve`,
# a site with a backlog runs `outpost sync` through a rate cap (so a session
# lasts seconds); at a random moment (seeded) either the site's or HQ's
# process gets SIGKILL. Then HQ is restarted if needed and the site syncs
# again to the end. Each run must end with equal digests for the site's scope
# and "shared" on both nodes: nothing either side committed is lost, and
# nothing is applied twice (a digest would differ).
#
#   tests/demo/sync_kill9.sh BUILD_DIR [RUNS]    (OUTPOST_KILL9_SEED=N replays)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
RUNS=${2:-3}
SEED=${OUTPOST_KILL9_SEED:-$(( $(date +%s) % 100000 ))}
echo "sync_kill9: seed $SEED (OUTPOST_KILL9_SEED=$SEED replays), $RUNS runs"
RANDOM=$SEED
OUTPOST="$BUILD/cli/outpost"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/outpost-kill9.XXXXXX")
# op, op_exec (exec: $! is the outpost process), free_port, wait_port, ...
# shellcheck source=scripts/lib/nodes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/nodes.sh"
SERVE_PID=""
cleanup() {
  [[ -n "$SERVE_PID" ]] && kill -9 "$SERVE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
nodes_passphrase
PORT=$(free_port)
nodes_init_hq hq HQ "127.0.0.1:$PORT"
nodes_site_request gra "Gradiška" BA-GRA
nodes_site_install hq gra

start_hq() {
  (op_exec hq serve --listen "127.0.0.1:$PORT" --quiet) >/dev/null 2>>hq.log &
  SERVE_PID=$!
  wait_port "$PORT" 10 || { echo "HQ did not start listening" >&2; exit 1; }
}
start_hq
mid=0
for run in $(seq 1 "$RUNS"); do
  # A backlog for this run: ~1 MB of new records at the site.
  "$OUTPOST" simulate --site BA-GRA --movements 1500 --seed "$run" --out "day$run.jsonl" >/dev/null
  op gra --officer BA-GRA-0042 record import "day$run.jsonl" >/dev/null
  victim=$([[ $((run % 2)) -eq 1 ]] && echo site || echo hq)
  # 250 kB/s: the session lasts a few seconds after the key unlock (~1 s).
  (op_exec gra sync --max-rate 2000 --quiet) >/dev/null 2>>gra.log &
  SYNC_PID=$!
  delay_ms=$((1200 + RANDOM % 2500))
  sleep_ms "$delay_ms"
  if kill -0 "$SYNC_PID" 2>/dev/null; then
    mid=$((mid + 1))
    if [[ $victim == site ]]; then kill -9 "$SYNC_PID"; else kill -9 "$SERVE_PID"; fi
    echo "  run $run: SIGKILL to the $victim after ${delay_ms} ms, mid-session"
  else
    echo "  run $run: the session had ended before ${delay_ms} ms (no kill)"
  fi
  wait "$SYNC_PID" 2>/dev/null || true
  if ! kill -0 "$SERVE_PID" 2>/dev/null; then start_hq; fi
  # Restarted: sync to the end (a store just killed may need a moment).
  ok=0
  for _ in 1 2 3; do
    if op gra sync --quiet >/dev/null 2>>gra.log; then ok=1; break; fi
    sleep 1
  done
  [[ $ok == 1 ]] || { echo "run $run: the site could not sync after the kill" >&2; tail -5 gra.log >&2; exit 1; }
  for scope in site:BA-GRA shared; do
    a=$(nodes_digest gra "$scope")
    b=$(nodes_digest hq "$scope")
    if [[ "$a" != "$b" ]]; then
      echo "run $run: $scope differs after the kill: site $a, HQ $b (seed $SEED)" >&2
      exit 1
    fi
  done
  for d in gra hq; do
    r=$(nodes_integrity "$d")
    [[ "$r" == ok ]] || { echo "run $run: $d integrity_check: $r" >&2; exit 1; }
  done
  n_site=$(op gra --json status | jq '.records.movement')
  n_hq=$(op hq --json status | jq '.records.movement')
  [[ "$n_site" == "$n_hq" ]] || { echo "run $run: movements site $n_site, HQ $n_hq" >&2; exit 1; }
  echo "  run $run: converged, $n_hq movements on both, integrity ok"
done
echo "sync_kill9: $RUNS runs, $mid killed mid-session, 0 losses"
