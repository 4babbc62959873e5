#!/usr/bin/env bash
# `sqlward check` on real files: a 20 MiB psql script is checked statement by
# statement in bounded memory, every statement reported with its line; the
# SARIF log is valid JSON with the expected shape. Needs no server and no root.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The optimised binary beside the test one (memory is measured; ASan's shadow would dominate it).
BIN=${SQLWARD_BIN:-$(dirname "${SQLWARD:-build/test/sqlward}")/../sqlward}
tmp=$(mktemp -d)
passed=0
# A failed step ends the script: report it in run.sh's summary format.
trap 'rc=$?; rm -rf "$tmp"; [ $rc -eq 0 ] || echo "$passed passed, 1 failed"' EXIT

python3 - "$tmp/big.sql" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("\\set tbl t\n")
    i = 0
    while f.tell() < 20 * 1024 * 1024:
        f.write("INSERT INTO app.:tbl (id, note) VALUES (%d, 'row; %d with a semicolon in a string');\n" % (i, i))
        i += 1
    f.write("DROP TABLE app.t;\n")
PY
lines=$(wc -l < "$tmp/big.sql")

# Memory: bounded by the largest statement, not the file (JSON lines are written as they come).
/usr/bin/time -f '%M' -o "$tmp/rss" "$BIN" check --format json "$tmp/big.sql" > "$tmp/out.json" 2> "$tmp/err" || true
rss=$(tail -n1 "$tmp/rss")
[ "$rss" -lt 200000 ] || { echo "FAIL: check used ${rss} KiB for a 20 MiB file"; exit 1; }
echo "ok - 20 MiB checked in ${rss} KiB"; passed=$((passed + 1))
[ "$(wc -l < "$tmp/out.json")" -eq $((lines - 1)) ] || { echo "FAIL: not one result per statement"; exit 1; }
python3 - "$tmp/out.json" "$lines" <<'PY'
import json, sys
last = None
with open(sys.argv[1]) as f:
    for n, line in enumerate(f, start=2):
        d = json.loads(line)
        assert d["line"] == n, (n, d["line"])
        last = d
assert last["line"] == int(sys.argv[2]) and last["verdict"] == "deny", last
PY
echo "ok - one result per statement, each at its line"; passed=$((passed + 1))

# SARIF: structure GitHub code scanning reads.
printf 'SELECT 1;\n\\echo skipped\n  DROP TABLE app.orders;\n' > "$tmp/small.sql"
"$BIN" check --format sarif "$tmp/small.sql" > "$tmp/out.sarif" 2>/dev/null || true
python3 - "$tmp/out.sarif" "$tmp/small.sql" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0"
run = d["runs"][0]
rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
assert rules == ["deny-destructive"], rules
r = run["results"][0]
assert r["ruleId"] == "deny-destructive" and r["level"] == "error" and r["message"]["text"]
loc = r["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"] == sys.argv[2]
assert loc["region"] == {"startLine": 3, "startColumn": 3}, loc["region"]
PY
echo "ok - SARIF 2.1.0 log with rules, level and region"; passed=$((passed + 1))
echo "$passed passed, 0 failed"
