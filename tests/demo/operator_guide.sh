#!/usr/bin/env bash
# The operator guide as a test (issue 17): walks docs/operator-guide.md's
# sections 1-8 with real `outpost` processes, HQ and one crossing, each on its
# own "machine" (a scratch root standing for /, with etc/outpost/ and the data
# directory the guide names), using the guide's commands as written, and
# checks each step's visible result. In particular the crossing's daemon
# reaches HQ at the address that came with its certificate, with no
# `peers add`.
#
#   tests/demo/operator_guide.sh BUILD_DIR
# Needs jq. Prints one line per step; exit 1 names the step that failed.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
OUTPOST="$BUILD/cli/outpost"
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/outpost-guide.XXXXXX")
# free_port, wait_port (scripts/lib/nodes.sh)
# shellcheck source=scripts/lib/nodes.sh
source "$SRC/scripts/lib/nodes.sh"
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if ((rc != 0)); then
    for f in "$WORK"/*.log; do [[ -f $f ]] && { echo "--- $f"; tail -20 "$f"; }; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
T0=$SECONDS
step() { printf '== %s (%ds)\n' "$*" $((SECONDS - T0)); }
fail() { echo "operator_guide: FAILED: $*" >&2; exit 1; }
# has TEXT PART WHAT: TEXT contains PART, else fail naming WHAT.
has() { [[ $1 == *"$2"* ]] || fail "$3: expected \"$2\" in: $1"; }
# until_true SECONDS CMD...: retries CMD every 0.2 s.
until_true() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.2; done
}

# Two machines. Every command runs as the guide writes it, plus --data where
# the guide's path is a root path (here under the machine's scratch root).
HQ_ROOT=$WORK/hq-machine
SITE_ROOT=$WORK/site-machine
HQ_DATA=$HQ_ROOT/srv/outpost
SITE_DATA=$SITE_ROOT/var/lib/outpost
mkdir -p "$HQ_ROOT/etc/outpost" "$SITE_ROOT/etc/outpost" "$WORK/usb"
unset OUTPOST_DATA OUTPOST_PASSPHRASE OUTPOST_OFFICER OUTPOST_NEW_PASSPHRASE
HQ_PASS="hq passphrase $(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
SITE_PASS="gradiska passphrase $(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
PORT=$(free_port)
HQ_ADDRESS="127.0.0.1:$PORT"
hq() { "$OUTPOST" --passphrase-file "$HQ_ROOT/etc/outpost/passphrase" "$@" </dev/null; }
site() { "$OUTPOST" --passphrase-file "$SITE_ROOT/etc/outpost/passphrase" "$@" </dev/null; }
# Commands the guide says need no passphrase run with none at all.
nopass() { "$OUTPOST" "$@" </dev/null; }

# ---- 1. Conventions -----------------------------------------------------------
step "1. conventions: exit codes and the one-line error"
set +e
out=$(nopass no-such-command 2>&1); rc=$?
set -e
((rc == 2)) || fail "1: a usage error exits 2, got $rc ($out)"
set +e
out=$(nopass --data "$WORK/nowhere" status 2>&1); rc=$?
set -e
((rc == 1)) || fail "1: a failed command exits 1, got $rc"
[[ $(wc -l <<<"$out") -eq 1 && $out == "outpost: error: "* ]] || fail "1: one error line: $out"

# ---- 2. Install -------------------------------------------------------------------
step "2. install: the tool, the unit, the passphrase credential"
has "$("$OUTPOST" --version)" "outpost " "2: --version"
UNIT="$SRC/packaging/outpost.service"
has "$(cat "$UNIT")" "LoadCredential=passphrase:/etc/outpost/passphrase" "2: the unit's credential"
has "$(grep '^ExecStart=' "$UNIT")" \
  "run --data /var/lib/outpost --config /etc/outpost/outpost.toml --passphrase-file \${CREDENTIALS_DIRECTORY}/passphrase" \
  "2: the unit's command line"
# "sudo install -m 0600 -o root -g root /dev/stdin /etc/outpost/passphrase"
printf '%s\n' "$HQ_PASS" | install -m 0600 /dev/stdin "$HQ_ROOT/etc/outpost/passphrase"
printf '%s\n' "$SITE_PASS" | install -m 0600 /dev/stdin "$SITE_ROOT/etc/outpost/passphrase"
[[ $(stat -c %a "$SITE_ROOT/etc/outpost/passphrase") == 600 ]] || fail "2: passphrase mode"

# ---- 3. First HQ ------------------------------------------------------------------
step "3. first HQ: init prints the HQ fingerprint"
out=$(hq --data "$HQ_DATA" init --role hq --name "HQ Sarajevo" --hq-address "$HQ_ADDRESS")
HQ_FP=$(grep -oE '[0-9a-f]{4}(-[0-9a-f]{4}){7}' <<<"$out" | head -1)
[[ -n $HQ_FP ]] || fail "3: init printed no fingerprint: $out"
has "$(nopass --data "$HQ_DATA" keys show)" "fingerprint:" "3: keys show"
has "$(nopass --data "$HQ_DATA" keys show | grep 'fingerprint:')" "$HQ_FP" "3: keys show fingerprint"
[[ $(nopass --data "$HQ_DATA" --json keys show | jq -r .signing_fingerprint) == "$HQ_FP" ]] ||
  fail "3: keys show --json signing_fingerprint"
# "HQ must listen: set listen = ... in its config"
printf 'listen = "%s"\n' "$HQ_ADDRESS" >"$HQ_ROOT/etc/outpost/outpost.toml"

# ---- 4. Enroll a crossing -----------------------------------------------------------
step "4. enroll: init, request, enroll (stops), compare, enroll --yes, install"
cd "$SITE_ROOT"
out=$(site --data "$SITE_DATA" init --role site --name "Gradiška" --site BA-GRA)
SITE_FP=$(grep -oE '[0-9a-f]{4}(-[0-9a-f]{4}){7}' <<<"$out" | head -1)
[[ -n $SITE_FP ]] || fail "4: site init printed no fingerprint: $out"
site --data "$SITE_DATA" keys request --out gradiska.request >/dev/null
cp gradiska.request "$HQ_ROOT/"   # "carry the file to HQ by any means"
cd "$HQ_ROOT"
set +e
out=$(hq --data "$HQ_DATA" keys enroll gradiska.request --out gradiska.cert 2>&1); rc=$?
set -e
((rc == 1)) || fail "4: enroll without --yes must stop with exit 1, got $rc"
has "$out" "Gradiška" "4: enroll shows the name"
has "$out" "BA-GRA" "4: enroll shows the site"
has "$out" "$SITE_FP" "4: enroll shows the fingerprint"
[[ ! -e gradiska.cert ]] || fail "4: enroll without --yes wrote a certificate"
# phone: the site admin reads `keys show` -> fingerprint:
has "$(nopass --data "$SITE_DATA" keys show | grep 'fingerprint:')" "$SITE_FP" "4: site keys show"
hq --data "$HQ_DATA" keys enroll gradiska.request --out gradiska.cert --yes --valid-days 365 >/dev/null
cp gradiska.cert "$SITE_ROOT/"
cd "$SITE_ROOT"
WRONG_FP="0${HQ_FP:1}"
[[ $WRONG_FP != "$HQ_FP" ]] || WRONG_FP="1${HQ_FP:1}"
set +e
out=$(site --data "$SITE_DATA" keys install gradiska.cert --hq-fingerprint "$WRONG_FP" 2>&1); rc=$?
set -e
((rc == 1)) || fail "4: install must refuse a wrong HQ fingerprint: $out"
site --data "$SITE_DATA" keys install gradiska.cert --hq-fingerprint "$HQ_FP" >/dev/null
# "After install the site knows HQ's address (from the certificate)"
[[ $(nopass --data "$SITE_DATA" --json status | jq -r .certificate.hq_address) == "$HQ_ADDRESS" ]] ||
  fail "4: status: certificate.hq_address"
has "$(nopass --data "$SITE_DATA" peers list)" "no peers" "4: the address book stays empty"

# ---- 5. Configuration -----------------------------------------------------------------
step "5. configuration: an unknown key names file, line and key"
printf 'sync_interval_seconds = 2\nlog_level = "info"\nsync_intervall = 3\n' >"$WORK/bad.toml"
set +e
out=$(site --data "$SITE_DATA" run --config "$WORK/bad.toml" 2>&1); rc=$?
set -e
((rc == 1)) || fail "5: a bad config must fail, got $rc"
has "$out" "$WORK/bad.toml:3" "5: the error names file and line"
has "$out" "sync_intervall" "5: the error names the key"
# The crossing's config, as in the guide's example (a shorter interval: a test).
cat >"$SITE_ROOT/etc/outpost/outpost.toml" <<'EOF'
sync_interval_seconds = 2
max_rate_kbps = 0
log_level = "info"
EOF

# ---- 6. Daily operation -----------------------------------------------------------------
step "6. the crossing's daemon, HQ not up yet: the failure shows in status and transfers"
"$OUTPOST" simulate --site BA-GRA --movements 3 --seed 7 --out day.jsonl >/dev/null
site --data "$SITE_DATA" --officer BA-GRA-0042 record import day.jsonl >/dev/null
(exec "$OUTPOST" --data "$SITE_DATA" --passphrase-file "$SITE_ROOT/etc/outpost/passphrase" \
  run --config "$SITE_ROOT/etc/outpost/outpost.toml" </dev/null >"$WORK/site-run.out" 2>"$WORK/site.log") &
SITE_PID=$!
PIDS+=("$SITE_PID")
hq_error() { [[ -n $(nopass --data "$SITE_DATA" --json status | jq -r '.peers[] | select(.name == "hq" or .name == "HQ Sarajevo") | .last_error') ]]; }
until_true 20 hq_error || fail "6: status shows no error while HQ is down: $(nopass --data "$SITE_DATA" status)"
st=$(nopass --data "$SITE_DATA" status)
has "$st" "failing since" "6: status says since when"
has "$st" "$HQ_ADDRESS" "6: status names HQ's address"
tr=$(nopass --data "$SITE_DATA" transfers)
has "$tr" "FAILED" "6: transfers lists the failure (without the passphrase)"
has "$tr" "$HQ_ADDRESS" "6: transfers names the address"
if grep -q "no such peer name" "$WORK/site.log"; then fail "6: the daemon does not resolve hq"; fi

step "6. HQ's daemon: HQ's status lists the crossing that never connected"
st=$(nopass --data "$HQ_DATA" status)
has "$st" "peer Gradiška: never connected" "6: HQ status lists the enrolled crossing"
cd "$HQ_ROOT"
(exec "$OUTPOST" --data "$HQ_DATA" --passphrase-file "$HQ_ROOT/etc/outpost/passphrase" \
  run --config "$HQ_ROOT/etc/outpost/outpost.toml" </dev/null >"$WORK/hq-run.out" 2>"$WORK/hq.log") &
HQ_PID=$!
PIDS+=("$HQ_PID")
wait_port "$PORT" 20 || fail "6: HQ does not listen on $HQ_ADDRESS"

step "6. the crossing's daemon reaches HQ with no peers add"
synced() {
  local j
  j=$(nopass --data "$SITE_DATA" --json status)
  [[ $(jq -r '[.peers[] | select(.last_success != "")] | length' <<<"$j") -ge 1 &&
     $(jq -r '.peers[0].pending_out' <<<"$j") == 0 ]]
}
until_true 30 synced || fail "6: the crossing did not reach HQ: $(nopass --data "$SITE_DATA" status)"
st=$(nopass --data "$SITE_DATA" status)
has "$st" "peer HQ Sarajevo" "6: status names HQ"
has "$st" "pending out 0, in 0" "6: status lag 0"
[[ $st != *"last error"* ]] || fail "6: the error stays after success: $st"
hq_has() { [[ $(nopass --data "$HQ_DATA" --json status | jq -r '.records_by_scope["site:BA-GRA"].movement // 0') == 3 ]]; }
until_true 10 hq_has || fail "6: HQ does not hold the crossing's 3 movements"
has "$(nopass --data "$HQ_DATA" status)" "site:BA-GRA: movement 3" "6: HQ status per crossing"
[[ $(nopass --data "$SITE_DATA" --json digest --scope site:BA-GRA | jq -r .digest) == \
   $(nopass --data "$HQ_DATA" --json digest --scope site:BA-GRA | jq -r .digest) ]] ||
  fail "6: digests differ"
has "$(nopass --data "$SITE_DATA" transfers --limit 5)" "  ok  " "6: transfers lists an ok session"
out=$(site --data "$SITE_DATA" sync)
has "$out" "in sync with HQ Sarajevo" "6: outpost sync, default peer HQ"
nopass --data "$SITE_DATA" audit verify >/dev/null || fail "6: audit verify at the site"
nopass --data "$HQ_DATA" audit verify >/dev/null || fail "6: audit verify at HQ"
kill -TERM "$SITE_PID"
wait "$SITE_PID" || fail "6: the daemon did not stop cleanly on SIGTERM"
has "$(cat "$WORK/site-run.out")" "stopped after" "6: the daemon's last line"

# ---- 7. USB bundles -------------------------------------------------------------------------
step "7. USB bundles both ways; import is idempotent"
cd "$SITE_ROOT"
"$OUTPOST" simulate --site BA-GRA --movements 2 --seed 8 --out day2.jsonl >/dev/null
site --data "$SITE_DATA" --officer BA-GRA-0042 record import day2.jsonl >/dev/null
cd "$HQ_ROOT"
hq --data "$HQ_DATA" bundle export --to "Gradiška" --out "$WORK/usb/hq-to-gra.opb" >/dev/null
cd "$SITE_ROOT"
out=$(site --data "$SITE_DATA" bundle import "$WORK/usb/hq-to-gra.opb")
has "$out" "imported" "7: import at the crossing"
out=$(site --data "$SITE_DATA" bundle export --to hq --out "$WORK/usb/gra-to-hq.opb")
has "$out" "wrote" "7: export at the crossing"
cd "$HQ_ROOT"
out=$(hq --data "$HQ_DATA" bundle import "$WORK/usb/gra-to-hq.opb")
has "$out" "0 refused" "7: import at HQ"
[[ $out != *": 0 batches applied"* ]] || fail "7: HQ applied nothing: $out"
out=$(hq --data "$HQ_DATA" bundle import "$WORK/usb/gra-to-hq.opb")
has "$out" ": 0 batches applied" "7: the same file again applies nothing"
hq_has5() { [[ $(nopass --data "$HQ_DATA" --json status | jq -r '.records_by_scope["site:BA-GRA"].movement // 0') == 5 ]]; }
hq_has5 || fail "7: HQ does not hold 5 movements"

# ---- 8. Rotate and revoke keys ----------------------------------------------------------------
step "8. rotate: keys rotate, sync, epoch 2"
cd "$SITE_ROOT"
site --data "$SITE_DATA" keys rotate >/dev/null
[[ -e $SITE_DATA/node.key.next ]] || fail "8: node.key.next after rotate"
out=$(site --data "$SITE_DATA" sync)
has "$out" "key rotation: installed certificate epoch 2" "8: sync completes the rotation"
[[ $(nopass --data "$SITE_DATA" --json keys show | jq -r .certificate.epoch) == 2 ]] ||
  fail "8: keys show epoch 2"

step "8. change the passphrase; a stale credential stops the daemon with exit 3"
printf '%s\n' "$SITE_PASS, changed" >"$WORK/new-pass"
chmod 600 "$WORK/new-pass"
site --data "$SITE_DATA" keys change-passphrase --new-passphrase-file "$WORK/new-pass" >/dev/null
set +e
out=$(site --data "$SITE_DATA" run --config "$SITE_ROOT/etc/outpost/outpost.toml" 2>&1); rc=$?
set -e
((rc == 3)) || fail "8: run with the old passphrase must exit 3, got $rc: $out"
has "$out" "/etc/outpost/passphrase" "8: the message says where to put the passphrase"
# "update /etc/outpost/passphrase on a packaged node"
install -m 0600 "$WORK/new-pass" "$SITE_ROOT/etc/outpost/passphrase"

step "8. revoke: HQ marks it, the crossing is told why"
cd "$HQ_ROOT"
hq --data "$HQ_DATA" keys revoke "Gradiška" --reason "laptop stolen" >/dev/null
has "$(nopass --data "$HQ_DATA" status)" "peer Gradiška" "8: HQ status still lists the crossing"
has "$(nopass --data "$HQ_DATA" status | grep 'peer Gradiška')" "REVOKED at" "8: HQ status marks it revoked"
cd "$SITE_ROOT"
set +e
out=$(site --data "$SITE_DATA" sync 2>&1); rc=$?
set -e
((rc == 1)) || fail "8: a revoked crossing's sync must fail: $out"
has "$out" "was revoked at" "8: the crossing is told it was revoked"
has "$out" "new node" "8: and what to do"
has "$(nopass --data "$SITE_DATA" status)" "was revoked at" "8: the crossing's status says so"

kill -TERM "$HQ_PID"
wait "$HQ_PID" || fail "8: HQ's daemon did not stop cleanly"
PIDS=()
echo "operator_guide: OK, sections 1-8 in $((SECONDS - T0)) s"
