#!/usr/bin/env bash
# Tests scripts/mutate without building anything: every listed line is found
# exactly once (--check); applying and restoring every mutation leaves a copy
# of the tree identical to the tree (--roundtrip); a run interrupted by TERM or
# INT while a mutation is in force restores the line, so the scratch copy
# equals the tree again; a second run on a scratch tree in use is refused; a
# list naming a missing line fails --check.
set -uo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
MUTATE="$ROOT/scripts/mutate"
TMP=$(mktemp -d)
hold_pid=""
trap '[[ -n $hold_pid ]] && kill "$hold_pid" 2>/dev/null; rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$MUTATE" --check 2>&1) || fail "--check: $out"
n=$("$MUTATE" --list | wc -l)
((n >= 30)) || fail "--list prints $n mutations, fewer than 30"

out=$("$MUTATE" --roundtrip 2>&1) || fail "--roundtrip: $out"

# Prints the tracked files whose content under DIR differs from the tree's.
sums() { (cd "$ROOT" && git ls-files -z) | (cd "$1" && xargs -0 md5sum 2>/dev/null) | sort; }
same() { diff <(sums "$ROOT") <(sums "$1") | sed -n 's/^> [0-9a-f]*  //p'; }

# interrupt SIGNAL ID: holds mutation ID in a scratch copy, sends SIGNAL, and
# checks the copy equals the tree afterwards.
interrupt() {
  local sig=$1 id=$2 dir="$TMP/$1" file i
  file=$("$MUTATE" --list | awk -v id="$id" '$1 == id { sub(":", "", $2); print $2 }')
  [[ -n $file ]] || { fail "no mutation $id"; return; }
  # A background job starts with SIGINT ignored; --default-signal undoes that.
  OUTPOST_MUTATE_DIR=$dir env --default-signal=INT,TERM "$MUTATE" --hold "$id" \
    >"$TMP/hold.log" 2>&1 &
  hold_pid=$!
  for ((i = 0; i < 600; i++)); do
    grep -q '^applied' "$TMP/hold.log" && break
    sleep 0.1
  done
  grep -q '^applied' "$TMP/hold.log" || { fail "$sig: --hold never applied: $(cat "$TMP/hold.log")"; return; }
  cmp -s "$ROOT/$file" "$dir/src/$file" && fail "$sig: the mutation was not in force in $file"
  # While it holds the scratch tree, a second run on it is refused, untouched.
  local second
  second=$(OUTPOST_MUTATE_DIR=$dir "$MUTATE" "$id" 2>&1)
  [[ $? == 2 && $second == *"another run holds $dir"* ]] ||
    fail "$sig: a second run on a held scratch tree was not refused: $second"
  cmp -s "$ROOT/$file" "$dir/src/$file" && fail "$sig: the second run restored the held line"
  kill -s "$sig" "$hold_pid"
  wait "$hold_pid"
  hold_pid=""
  local changed
  changed=$(same "$dir/src")
  [[ -z $changed ]] || fail "$sig: after the interrupt, $changed differs from the tree"
}
interrupt TERM audit-hash-covers-prev
interrupt INT crdt-3-chained

# A list whose line is not in the file fails the check, naming the entry.
mkdir -p "$TMP/bad/scripts"
cp "$MUTATE" "$TMP/bad/scripts/mutate"
printf 'id: gone\nfile: node/audit.cc\nline: this line is not there;\nwith: x;\nbreaks: nothing\n' \
  >"$TMP/bad/scripts/mutations.txt"
mkdir -p "$TMP/bad/node" && cp "$ROOT/node/audit.cc" "$TMP/bad/node/audit.cc"
out=$("$TMP/bad/scripts/mutate" --check 2>&1) && fail "--check passed a missing line"
grep -q 'gone: "this line is not there;" occurs 0 times in node/audit.cc' <<<"$out" ||
  fail "--check does not name the missing line: $out"

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "mutate_test: ok"
