#!/usr/bin/env bash
# Approved plans against a real PostgreSQL 15, real BPF programs and real
# migration tools from Debian (issue 13): a fresh Django project's full
# `migrate` and an Alembic upgrade run as a governed role with a plan built
# from what the tools print (sqlmigrate, upgrade --sql), signed offline by two
# approvers (Ed25519) and submitted to the daemon: zero holds, every DDL step
# recorded with the plan id and step, Django's reviewed DROP COLUMN (denied by
# policy, `plan: allow`) authorised by the plan. Off-plan: a statement injected
# into an Alembic revision after review is held (and denied); a second run of
# a used plan is judged by policy; a plan edited after signing is refused; the
# author's own signature and a signature by an unknown key do not count; an
# approval on the control socket needs the exact digest and is never the
# submitter's.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

PY=/usr/bin/python3   # Debian's python3 (python3-django, python3-alembic), not one on PATH
$PY -c 'import django, alembic, psycopg2' 2>/dev/null ||
	sw_die "python3-django, python3-alembic and python3-psycopg2 are needed (scripts/install-deps.sh installs them)"

GROUP=sw-plan-dba
SOCKGROUP=sw-plan-ctl
for g in $GROUP $SOCKGROUP; do getent group $g >/dev/null || groupadd --system $g; done
for u in sw-pa-alice sw-pa-bob sw-pa-dev; do
	getent passwd $u >/dev/null || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin $u
	usermod -a -G $SOCKGROUP $u
done
usermod -a -G $GROUP sw-pa-alice
usermod -a -G $GROUP sw-pa-bob
sw_at_exit "for u in sw-pa-alice sw-pa-bob sw-pa-dev; do userdel \$u 2>/dev/null; done; groupdel $GROUP 2>/dev/null; groupdel $SOCKGROUP 2>/dev/null"
SW_GATE_EXTRA="--socket-group $SOCKGROUP"

KEYS=$SW_TMP/keys
mkdir -p "$KEYS"
for u in alice bob dev; do
	"$SQLWARD" plan keygen --private "$KEYS/$u.key" --public "$KEYS/$u.pub" >/dev/null 2>&1 ||
		sw_die "plan keygen failed"
done
chmod 755 "$KEYS"; chmod 644 "$KEYS"/*.pub

POLICY=$SW_TMP/plans.yaml
cat >"$POLICY" <<EOF
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
plans:
  approvers: ["group:$GROUP"]
  approvals_required: 2
  keys: { sw-pa-alice: $KEYS/alice.pub, sw-pa-bob: $KEYS/bob.pub, sw-pa-dev: $KEYS/dev.pub }
rules:
  - { id: deny-unparseable, match: { class: unknown }, action: deny }
  - { id: deny-file-access, match: { trait: file_access }, action: deny }
  - { id: deny-session-escalation, match: { trait: session_escalation }, action: deny }
  - { id: deny-unsafe-setting, match: { trait: unsafe_setting }, action: deny }
  - { id: deny-destructive, match: { trait: destructive }, action: deny, plan: allow }
  - id: migration-bookkeeping
    description: "the migration tools' own tables (applied migrations, content types, permissions)"
    match: { role: agent_migrate, class: write, relation: [django_migrations, django_content_type, auth_permission, alembic_version] }
    action: allow
  - { id: allow-reads, match: { class: [read, transaction, session] }, action: allow }
  - { id: hold-changes, match: { class: [write, ddl, utility] }, action: hold, timeout: 5m,
      approvers: ["group:$GROUP"], approvals_required: 2 }
EOF

pg_start
sql_db postgres "$SW_PG_SUPER" \
	"CREATE ROLE agent_migrate LOGIN" \
	"CREATE DATABASE djapp OWNER agent_migrate" \
	"CREATE DATABASE djscratch" \
	"CREATE DATABASE alapp OWNER agent_migrate" ||
	sw_die "creating roles/databases failed: $SQL_ERR"
SW_PG_DB=djapp

# ---- Django: a fresh project; the plan is what the tool prints ----------------
DJ=$SW_TMP/dj
mkdir -p "$DJ"
(cd "$DJ" && $PY -m django startproject proj . ) || sw_die "django startproject failed"
cat >>"$DJ/proj/settings.py" <<'EOF'
import os
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ["DJ_DB"], "USER": os.environ["DJ_USER"],
    "HOST": os.environ["SW_PG_HOST"], "PORT": os.environ["SW_PG_PORT"],
}}
EOF
dj() { (cd "$DJ" && DJ_DB=$1 DJ_USER=$2 $PY manage.py "${@:3}"); }
# The recorder's own table comes first on a fresh database (Django creates it before any migration).
dj djscratch "$SW_PG_SUPER" shell -c '
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder as R
with connection.schema_editor(collect_sql=True, atomic=False) as e:
    e.create_model(R.Migration)
print("\n".join(e.collected_sql))' >"$SW_TMP/dj-000-recorder.sql" 2>"$SW_TMP/dj.err" ||
	sw_die "django recorder SQL: $(cat "$SW_TMP/dj.err")"
i=1
dj djscratch "$SW_PG_SUPER" showmigrations --plan 2>>"$SW_TMP/dj.err" | awk '{print $NF}' >"$SW_TMP/dj-order" ||
	sw_die "showmigrations failed: $(cat "$SW_TMP/dj.err")"
while IFS=. read -r app name; do
	[ -n "$app" ] || continue
	dj djscratch "$SW_PG_SUPER" sqlmigrate "$app" "$name" >"$SW_TMP/dj-$(printf %03d $i)-$app-$name.sql" 2>>"$SW_TMP/dj.err" ||
		sw_die "sqlmigrate $app $name failed: $(tail -5 "$SW_TMP/dj.err")"
	i=$((i + 1))
done <"$SW_TMP/dj-order"
diag "django: $((i - 1)) migrations"
ok "django: sqlmigrate printed every migration of a fresh project ($((i - 1)))"

"$SQLWARD" plan build --policy "$POLICY" --role agent_migrate --database djapp --author sw-pa-dev \
	--title "Django initial schema" --intent "fresh project: auth, admin, contenttypes, sessions" \
	--valid-for 2h --max-runs 1 -o "$SW_TMP/dj-plan.json" "$SW_TMP"/dj-[0-9]*.sql >"$SW_TMP/build.out" 2>&1
assert_rc "plan build: Django's migrations become a plan" 0 $?
NSTEPS=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stages"]["sql"]))' "$SW_TMP/dj-plan.json")
PLAN_ID=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$SW_TMP/dj-plan.json")
DIGEST=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$SW_TMP/dj-plan.json")
diag "django plan $PLAN_ID: $NSTEPS steps"
[ "$NSTEPS" -ge 30 ] && ok "plan build: $NSTEPS steps" || not_ok "plan build: at least 30 steps" "$NSTEPS"
"$SQLWARD" plan show --format markdown "$SW_TMP/dj-plan.json" >"$SW_TMP/dj-plan.md" 2>&1
assert_contains "plan show: the reviewer's markdown names the plan" "$(cat "$SW_TMP/dj-plan.md")" "$PLAN_ID"
assert_contains "plan show: DROP COLUMN is in the review" "$(cat "$SW_TMP/dj-plan.md")" "DROP COLUMN"

# Offline approvals (as in CI): alice and bob sign; dev (the author) signs too but never counts.
for u in alice bob dev; do
	"$SQLWARD" plan sign --key "$KEYS/$u.key" --as "sw-pa-$u" --comment "reviewed in PR 42" "$SW_TMP/dj-plan.json" \
		>/dev/null 2>"$SW_TMP/sign.err" || sw_die "plan sign ($u): $(cat "$SW_TMP/sign.err")"
done
"$SQLWARD" plan verify --key "sw-pa-alice=$KEYS/alice.pub" --key "sw-pa-bob=$KEYS/bob.pub" "$SW_TMP/dj-plan.json" >/dev/null 2>&1
assert_rc "plan verify: both signatures verify" 0 $?

# A plan edited after signing is refused by the daemon (its digest no longer matches).
$PY - "$SW_TMP/dj-plan.json" "$SW_TMP/dj-tampered.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for s in p["stages"]["sql"]:
    if "DROP COLUMN" in s["sql"]:
        s["sql"] = s["sql"].replace('"name"', '"app_label"')
        break
json.dump(p, open(sys.argv[2], "w"))
PY

gate_start "$POLICY"
"$SQLWARD" plan submit --socket "$SW_SOCK" "$SW_TMP/dj-tampered.json" >"$SW_TMP/tamper.out" 2>&1
assert_rc "submit: a plan edited after signing is refused" 1 $?
"$SQLWARD" plan submit --socket "$SW_SOCK" "$SW_TMP/dj-plan.json" >"$SW_TMP/submit.out" 2>&1
assert_rc "submit: the signed plan is accepted" 0 $?
"$SQLWARD" plan status --socket "$SW_SOCK" --json "$PLAN_ID" >"$SW_TMP/status.json" 2>&1
appr=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(sorted(d.get("plan", d)["approved_by"])))' "$SW_TMP/status.json" 2>/dev/null)
assert_eq "status: alice and bob count; the author's signature does not" "sw-pa-alice,sw-pa-bob" "$appr"

# ---- the run: zero human interruptions ---------------------------------------
timeout 300 bash -c "cd '$DJ' && DJ_DB=djapp DJ_USER=agent_migrate SW_PG_HOST=$SW_PG_HOST SW_PG_PORT=$SW_PG_PORT $PY manage.py migrate --noinput" \
	>"$SW_TMP/migrate.out" 2>&1 &
MIG=$!
held=0
while kill -0 $MIG 2>/dev/null; do
	n=$(pending_list "" | wc -l)
	if [ "${n:-0}" -gt 0 ]; then
		held=$((held + n))
		diag "held during migrate: $(pending_json | head -c 600)"
		deny_all_pending >/dev/null
	fi
	sleep 0.2
done
wait $MIG; rc=$?
[ $rc -eq 0 ] || diag "$(tail -20 "$SW_TMP/migrate.out")"
assert_eq "django migrate as a governed role under the plan: succeeds" 0 "$rc"
assert_eq "django migrate: zero statements held for a human (pending queue)" 0 "$held"
nheld=$(ledger_json 2>/dev/null | $PY -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l).get("role") == "agent_migrate" and json.loads(l).get("outcome") == "held"))')
assert_eq "django migrate: zero statements held for a human (ledger)" 0 "$nheld"
steps_recorded=$(ledger_json 2>/dev/null | $PY -c '
import json, sys
pid = sys.argv[1]; seen = set()
for line in sys.stdin:
    r = json.loads(line)
    p = (r.get("plan") or (r.get("extra") or {}).get("plan"))
    if isinstance(p, dict) and p.get("id") == pid and p.get("authorised", True):
        seen.add(p["step"])
print(len(seen))' "$PLAN_ID")
assert_eq "ledger: every step of the plan is recorded with the plan id and its step" "$NSTEPS" "$steps_recorded"
assert_ledger "ledger: the reviewed DROP COLUMN ran under the plan (policy denies it otherwise)" \
	"statement~DROP COLUMN" "rule=plan" "outcome=ran"
n=$(sql_db djapp "$SW_PG_SUPER" "SELECT count(*) FROM django_migrations" >/dev/null; echo "$SQL_OUT")
[ "${n:-0}" -ge 15 ] && ok "django: $n migrations applied" || not_ok "django: migrations applied" "$n"

# A second run of a used plan is off-plan: the first DDL step is judged by policy (held), and denied.
FIRST_DDL=$($PY -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(next(s["sql"] for s in p["stages"]["sql"] if s["sql"].lstrip().upper().startswith("CREATE TABLE")))' "$SW_TMP/dj-plan.json")
sql_bg agent_migrate "$FIRST_DDL"; h=$SQL_BG
wait_pending 15 "django_migrations" && ok "second run: the plan's first step is held (max_runs 1 used)" ||
	not_ok "second run: the plan's first step is held"
settle "$h" >/dev/null 2>&1

# A restarted daemon still knows the plan, its approvals and that its one run is used.
gate_stop
gate_start "$POLICY"
"$SQLWARD" plan status --socket "$SW_SOCK" --json "$PLAN_ID" >"$SW_TMP/status2.json" 2>&1
st=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); d=d.get("plan", d); print(d["state"], d["runs_started"], d["runs_done"], ",".join(sorted(d["approved_by"])))' "$SW_TMP/status2.json" 2>/dev/null)
assert_eq "restart: the plan, its used run and its approvals survive" "used 1 1 sw-pa-alice,sw-pa-bob" "$st"

# ---- control-socket approvals: exact digest, no self-approval -----------------
"$SQLWARD" plan build --policy "$POLICY" --role agent_migrate --database alapp --author sw-pa-dev \
	--title "tiny" --valid-for 1h -o "$SW_TMP/tiny.json" <(echo "CREATE TABLE tiny (id int);") >/dev/null 2>&1 ||
	sw_die "plan build (tiny) failed"
TINY=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["id"], d["digest"])' "$SW_TMP/tiny.json")
set -- $TINY
runuser -u sw-pa-bob -- "$SQLWARD" plan submit --socket "$SW_SOCK" "$SW_TMP/tiny.json" >"$SW_TMP/tiny.out" 2>&1
assert_rc "submit: any socket user may submit a plan (bob)" 0 $?
out=$(runuser -u sw-pa-alice -- "$SQLWARD" plan approve --socket "$SW_SOCK" --digest 00000000 "$1" 2>&1)
assert_contains "approve: a wrong digest is refused" "$out" "does not match"
out=$(runuser -u sw-pa-alice -- "$SQLWARD" plan approve --socket "$SW_SOCK" --digest "${2:0:16}" "$1" 2>&1)
assert_rc "approve: alice approves with the exact digest" 0 $?
out=$(runuser -u sw-pa-bob -- "$SQLWARD" plan approve --socket "$SW_SOCK" --digest "${2:0:16}" "$1" 2>&1)
assert_contains "approve: the submitter (bob) may not approve" "$out" "may not approve"
out=$(runuser -u sw-pa-dev -- "$SQLWARD" plan approve --socket "$SW_SOCK" --digest "${2:0:16}" "$1" 2>&1)
assert_contains "approve: the author (dev, not an approver either) is refused" "$out" "approves none"
"$SQLWARD" plan status --socket "$SW_SOCK" --json "$1" >"$SW_TMP/tiny-status.json" 2>&1
ready=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); d=d.get("plan", d); print(d["steps"][0].get("authorised"))' "$SW_TMP/tiny-status.json" 2>/dev/null)
assert_eq "status: one approval of two does not authorise the step yet" "False" "$ready"

# ---- Alembic: a revision changed after review gets its extra statement held ---
AL=$SW_TMP/al
mkdir -p "$AL"
(cd "$AL" && $PY -m alembic init -q migrations >/dev/null 2>&1) || (cd "$AL" && $PY -m alembic init migrations >/dev/null 2>&1) ||
	sw_die "alembic init failed"
sed -i "s|^sqlalchemy.url = .*|sqlalchemy.url = postgresql+psycopg2://agent_migrate@$SW_PG_HOST:$SW_PG_PORT/alapp|" "$AL/alembic.ini"
cat >"$AL/migrations/versions/0001_orders.py" <<'EOF'
"""orders"""
from alembic import op
import sqlalchemy as sa
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
def upgrade():
    op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True), sa.Column("total", sa.Numeric(10, 2), nullable=False))
    op.add_column("orders", sa.Column("note", sa.Text))
    op.create_index("orders_total_idx", "orders", ["total"])
    # INJECT
def downgrade():
    op.drop_table("orders")
EOF
(cd "$AL" && $PY -m alembic upgrade head --sql) >"$SW_TMP/al.sql" 2>"$SW_TMP/al.err" || sw_die "alembic --sql: $(cat "$SW_TMP/al.err")"
"$SQLWARD" plan build --policy "$POLICY" --role agent_migrate --database alapp --author sw-pa-dev \
	--title "orders" --valid-for 1h -o "$SW_TMP/al-plan.json" "$SW_TMP/al.sql" >/dev/null 2>&1 || sw_die "plan build (alembic) failed"
for u in alice bob; do "$SQLWARD" plan sign --key "$KEYS/$u.key" --as "sw-pa-$u" "$SW_TMP/al-plan.json" >/dev/null 2>&1; done
"$SQLWARD" plan submit --socket "$SW_SOCK" "$SW_TMP/al-plan.json" >/dev/null 2>&1
assert_rc "alembic: the signed plan is accepted" 0 $?
AL_ID=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$SW_TMP/al-plan.json")
# After review, someone adds a statement to the revision.
sed -i 's|    # INJECT|    op.execute("CREATE INDEX orders_note_idx ON orders (note)")|' "$AL/migrations/versions/0001_orders.py"
cmd_bg bash -c "cd '$AL' && $PY -m alembic upgrade head"; h=$SQL_BG
if wait_pending 30 "orders_note_idx"; then ok "alembic: the statement added after review is held"; else not_ok "alembic: injected statement held"; fi
pend=$(pending_list "" | wc -l)
assert_eq "alembic: only the injected statement is held" 1 "$pend"
settle "$h" >/dev/null 2>&1
assert_ledger "alembic: the reviewed steps before it ran under the plan" "statement~orders_total_idx" "rule=plan"
n=$(ledger_json 2>/dev/null | $PY -c '
import json, sys
n = 0
for line in sys.stdin:
    r = json.loads(line)
    p = r.get("plan") or (r.get("extra") or {}).get("plan")
    if isinstance(p, dict) and p.get("id") == sys.argv[1]: n += 1
print(n)' "$AL_ID")
[ "${n:-0}" -ge 3 ] && ok "alembic: $n statements recorded against the plan" || not_ok "alembic: statements recorded against the plan" "$n"

gate_stop_check
gate_log_on_failure
finish
