#!/usr/bin/env bash
# Tests scripts/check-layers: the real tree passes; a scratch tree with an
# upward include, a sideways include between the two leaves or from the risk
# engine into sync, or the CRDT's
# storage encoding named outside sync/ fails, naming the file and line.
set -uo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
CHECK="$ROOT/scripts/check-layers"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect RC PATTERN TREE: check-layers on TREE exits RC and prints PATTERN.
expect() {
  local want=$1 pattern=$2 tree=$3 out rc
  out=$("$CHECK" "$tree" 2>&1); rc=$?
  [[ $rc == "$want" ]] || fail "$tree: exit $rc, expected $want: $out"
  grep -q -- "$pattern" <<<"$out" || fail "$tree: output lacks \"$pattern\": $out"
}

expect 0 "includes point down" "$ROOT"

# A clean scratch tree: every include points down.
clean="$TMP/clean"
mkdir -p "$clean"/{base,schema,crypto,risk,sync,node,web,cli}
echo '#include "base/status.h"' >"$clean/schema/catalogue.h"
printf '#include "base/status.h"\n#include "schema/codes.h"\n' >"$clean/risk/validators.cc"
echo '#include "risk/engine.h"' >"$clean/node/assessments.cc"
printf '#include "schema/catalogue.h"\n#include "crypto/keys.h"\n' >"$clean/sync/replica.cc"
echo '#include "sync/live_rows.h"' >"$clean/node/records.cc"
echo 'SELECT id FROM live_movement' >>"$clean/node/records.cc"
echo '#include "node/records.h"' >"$clean/web/app.cc"
echo '#include "web/server.h"' >"$clean/cli/web_desk.cc"
expect 0 "includes point down" "$clean"

up="$TMP/up"; cp -r "$clean" "$up"
printf '// ok\n#include "node/store.h"\n' >>"$up/sync/replica.cc"
expect 1 'sync/replica.cc:4: rule 1 .*sync/ may not include node/' "$up"

webup="$TMP/webup"; cp -r "$clean" "$webup"
echo '#include "web/app.h"' >>"$webup/node/records.cc"
expect 1 'node/records.cc:3: rule 1 .*node/ may not include web/' "$webup"
echo '#include "cli/context.h"' >>"$webup/web/app.cc"
expect 1 'web/app.cc:2: rule 1 .*web/ may not include cli/' "$webup"

side="$TMP/side"; cp -r "$clean" "$side"
echo '#include "crypto/keys.h"' >"$side/schema/validators.cc"
expect 1 'schema/validators.cc:1: rule 1 .*schema/ may not include crypto/' "$side"

# The engine stays beside sync, below node: no include of sync/ or node/.
risk="$TMP/risk"; cp -r "$clean" "$risk"
echo '#include "sync/replica.h"' >>"$risk/risk/validators.cc"
echo '#include "node/store.h"' >"$risk/risk/engine.cc"
expect 1 'risk/validators.cc:3: rule 1 .*risk/ may not include sync/' "$risk"
expect 1 'risk/engine.cc:1: rule 1 .*risk/ may not include node/' "$risk"

enc="$TMP/enc"; cp -r "$clean" "$enc"
echo '"SELECT count(*) FROM movement WHERE _cl % 2 = 1"' >"$enc/node/simulate.cc"
echo '"JOIN crdt_scope s"' >"$enc/cli/status.cc"
expect 1 'node/simulate.cc:1: rule 2' "$enc"
expect 1 'cli/status.cc:1: rule 2' "$enc"

expect 2 "is not a directory" "$TMP/absent"

if ((failures)); then
  echo "0 passed, $failures failed"
  exit 1
fi
echo "check_layers_test: every case passed"
