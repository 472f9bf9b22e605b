#!/usr/bin/env bash
# packaging/test_install.sh BUILD_DIR: `cmake --install --prefix /usr/local`
# staged under a scratch DESTDIR (nothing lands in the real /etc or /usr),
# and check that the systemd unit starts /usr/local/bin/outpost (not
# /usr/bin/outpost), that the binary runs, and that the man page generated
# from its help is installed with a section per command.
set -euo pipefail
build=$(cd "$1" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/outpost-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fail() { echo "packaging_install: $*" >&2; exit 1; }

DESTDIR=$scratch cmake --install "$build" --prefix /usr/local >"$scratch/install.log" 2>&1 ||
  { cat "$scratch/install.log" >&2; fail "cmake --install failed"; }
unit=$scratch/usr/local/lib/systemd/system/outpost.service
[[ -f "$unit" ]] || fail "no outpost.service under the prefix"
grep -q "^ExecStart=/usr/local/bin/outpost run " "$unit" ||
  fail "unit: ExecStart does not name the installed binary: $(grep ^ExecStart "$unit")"
[[ -x "$scratch/usr/local/bin/outpost" ]] || fail "no binary under the prefix"
[[ -f "$scratch/etc/outpost/outpost.toml" ]] || fail "no /etc/outpost/outpost.toml under DESTDIR"
"$scratch/usr/local/bin/outpost" --version >/dev/null || fail "the installed binary does not run"
man=$scratch/usr/local/share/man/man1/outpost.1
[[ -f "$man" ]] || fail "no man page outpost.1"
grep -q '^\.TH OUTPOST 1' "$man" || fail "outpost.1: no .TH header"
for section in 'outpost record import' 'outpost keys enroll' 'outpost run'; do
  grep -q "^\.SS \"$section\"" "$man" || fail "outpost.1: no section for $section"
done
grep -q -- '--source' "$man" || fail "outpost.1: record import's options missing"
echo "packaging_install: ok ($(grep ^ExecStart "$unit" | cut -c1-80)...)"
