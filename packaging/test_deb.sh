#!/usr/bin/env bash
# packaging/test_deb.sh BUILD_DIR VERSION: builds the .deb with cpack in a
# scratch directory, unpacks it with dpkg-deb -x into a scratch root, and
# checks what an admin gets: the binary runs (`outpost --version`), the unit
# runs `outpost run` with /var/lib/outpost and the passphrase credential,
# the example config is a conffile, the docs are there.
set -euo pipefail
build=$(cd "$1" && pwd)
version=$2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/outpost-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fail() { echo "packaging_deb: $*" >&2; exit 1; }

(cd "$scratch" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1) ||
  { cat "$scratch/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$scratch"/out/outpost_*.deb 2>/dev/null | head -1)
[[ -n "$deb" ]] || fail "no .deb in $scratch/out"
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

root=$scratch/root
dpkg-deb -x "$deb" "$root"
got=$("$root/usr/bin/outpost" --version)
[[ "$got" == "outpost $version" ]] || fail "outpost --version printed \"$got\", want \"outpost $version\""
echo "unpacked outpost --version: $got"

unit=$root/usr/lib/systemd/system/outpost.service
[[ -f "$unit" ]] || fail "no outpost.service"
grep -q '^ExecStart=/usr/bin/outpost run .*--data /var/lib/outpost' "$unit" || fail "unit: ExecStart"
grep -q -- '--passphrase-file ${CREDENTIALS_DIRECTORY}/passphrase' "$unit" || fail "unit: passphrase"
grep -q '^LoadCredential=passphrase:/etc/outpost/passphrase$' "$unit" || fail "unit: credential"
[[ -f "$root/etc/outpost/outpost.toml" ]] || fail "no /etc/outpost/outpost.toml"
dpkg-deb --info "$deb" conffiles | grep -qx /etc/outpost/outpost.toml || fail "outpost.toml is not a conffile"
for script in postinst prerm postrm; do
  dpkg-deb --info "$deb" "$script" >/dev/null || fail "no $script"
done
dpkg-deb --info "$deb" postinst | grep -q 'try-restart outpost.service' || fail "postinst: no restart on upgrade"
[[ -f "$root/usr/share/doc/outpost/README.md" ]] || fail "no README in /usr/share/doc/outpost"
dpkg-deb --field "$deb" Depends | grep -q libsqlite3 || fail "Depends lacks libsqlite3"
echo "packaging_deb: ok ($(dpkg-deb --field "$deb" Depends))"
