#!/usr/bin/env bash
# `make demo`: a throwaway PostgreSQL cluster and MariaDB server, the gate with
# policies/default.yaml, and a scripted agent session on each showing every
# verdict, then the one ledger both engines write.
# Everything it starts is stopped and removed when it ends.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (it loads BPF programs and runs PostgreSQL as its own user)" >&2; exit 1; }

SQLWARD=${SQLWARD:-$TOP/build/sqlward}
SW_PG_DB=shop
# shellcheck source=../tests/lib/pg.sh
. "$TOP/tests/lib/pg.sh"
# shellcheck source=../tests/lib/mariadb.sh
. "$TOP/tests/lib/mariadb.sh"
. "$TOP/tests/lib/system_python.sh"
MY_CLIENT=${MY_CLIENT:-$TOP/build/tools/my_client}
sw_reachable_binaries MY_CLIENT   # the demo's agent is another OS user: a private checkout gives it a copy

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
show_sql() { printf '   \033[36m%s=>\033[0m %s\n' "$1" "$2"; }

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || { echo "cannot mount bpffs on /sys/fs/bpf" >&2; exit 1; }

bold "Starting a throwaway PostgreSQL 15 cluster"
pg_start
say "data dir $SW_PG_DATA, listening on $SW_PG_HOST:$SW_PG_PORT (owned by OS user $SW_PG_USER)"
sql_db postgres "$SW_PG_SUPER" "CREATE ROLE agent_demo LOGIN" "CREATE ROLE analyst LOGIN" \
	"CREATE DATABASE shop OWNER agent_demo" >/dev/null || sw_die "setup failed: $SQL_ERR"
sql_db shop agent_demo \
	"CREATE TABLE orders (id int PRIMARY KEY, customer text, total_cents int)" \
	"INSERT INTO orders SELECT g, 'customer ' || g, g * 1000 FROM generate_series(1, 25) g" \
	"CREATE TABLE scratch (id int, note text)" \
	"INSERT INTO scratch SELECT g, 'old' FROM generate_series(1, 5) g" \
	"GRANT ALL ON scratch TO analyst" "GRANT SELECT ON orders TO analyst" >/dev/null || sw_die "setup failed: $SQL_ERR"
say "database shop: table orders (25 rows), table scratch; roles agent_demo (governed: agent_*) and analyst (not governed)"

bold "Starting a throwaway MariaDB 10.11 server"
my_start
my_sql_admin "CREATE DATABASE shop" \
	"CREATE TABLE shop.customers (id int PRIMARY KEY, name varchar(40), credit int)" \
	"INSERT INTO shop.customers VALUES (1,'ada',100),(2,'bob',250),(3,'cy',75)" \
	"CREATE USER 'agent_demo'@'%' IDENTIFIED BY 'demo-pw'" "GRANT ALL ON shop.* TO 'agent_demo'@'%'" \
	>/dev/null || sw_die "MariaDB setup failed: $MY_ERR"
say "mariadbd pid $SW_MY_PID on 127.0.0.1:$SW_MY_PORT; database shop, table customers; account agent_demo (governed)"
# mysay SQL: run one command as agent_demo through libmariadb and show what the client saw.
mysay() {
	show_sql "agent_demo@mariadb" "$1"
	"${SW_AS_CLIENT[@]}" "$MY_CLIENT" -h 127.0.0.1 -P "$SW_MY_PORT" -u agent_demo -p demo-pw -D shop "q:$1" 2>&1 |
		sed 's/^/   client: /'
}

bold "Starting the sqlward daemon with policies/default.yaml"
LEDGER=$SW_TMP/ledger.jsonl
SOCK=$SW_TMP/control.sock
PIN=/sys/fs/bpf/sqlward-demo-$$
export SQLWARD_SOCKET=$SOCK SQLWARD_LEDGER=$LEDGER
"$SQLWARD" run --policy policies/default.yaml --ledger "$LEDGER" --socket "$SOCK" \
	--pg-bin "$SW_PG_BIN" --postmaster-pid "$(pg_postmaster_pid)" --mariadb-pid "$SW_MY_PID" --pin-dir "$PIN" \
	>"$SW_TMP/daemon.log" 2>&1 &
DAEMON=$!
sw_at_exit "kill -TERM $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null; $SQLWARD detach $PIN >/dev/null 2>&1"
for _ in $(seq 1 100); do grep -q "gate ready" "$SW_TMP/daemon.log" && break; sleep 0.1; done
grep -q "gate ready" "$SW_TMP/daemon.log" || { cat "$SW_TMP/daemon.log"; sw_die "the daemon did not start"; }
say "$(grep 'gate ready' "$SW_TMP/daemon.log" | sed 's/^sqlward: //')"

bold "1. agent_demo reads: allowed"
show_sql agent_demo "SELECT count(*), sum(total_cents) FROM orders;"
sql agent_demo "SELECT count(*), sum(total_cents) FROM orders" && say "result: $SQL_OUT" || say "ERROR: $SQL_ERR"

bold "2. agent_demo drops a table: cancelled before it runs"
show_sql agent_demo "DROP TABLE orders;"
sql agent_demo "DROP TABLE orders"
say "client saw: ${SQL_ERR:-no error (unexpected)}"
sql_db shop "$SW_PG_SUPER" "SELECT count(*) FROM orders"
say "as superuser afterwards: orders still has $SQL_OUT rows"

bold "3. agent_demo alters a table: held until a human decides"
show_sql agent_demo "ALTER TABLE orders ADD COLUMN discount_cents int;"
sql_bg agent_demo "ALTER TABLE orders ADD COLUMN discount_cents int"
HELD=$SQL_BG
ID=
for _ in $(seq 1 100); do
	ID=$("$SQLWARD" pending --format json | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p[0]["id"] if p else "")')
	[ -n "$ID" ] && break; sleep 0.1
done
[ -n "$ID" ] || sw_die "the ALTER TABLE was not held"
HPID=$("$SQLWARD" pending --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
say "the backend is paused by the kernel, not by the client: ps shows it stopped (T):"
ps -o pid=,stat=,args= -p "$HPID" | sed 's/^/     /'
say "a reviewer runs: sqlward pending"
"$SQLWARD" pending | sed 's/^/   /'
say "... and: sqlward show $ID"
"$SQLWARD" show "$ID" | sed 's/^/   /'
say "the reviewer approves this exact statement: sqlward approve $ID --comment 'reviewed in demo'"
"$SQLWARD" approve "$ID" --comment "reviewed in demo" | sed 's/^/   /'
sql_wait "$HELD" 30 && say "client: $SQL_OUT" || say "client error: $SQL_ERR"
sql_db shop "$SW_PG_SUPER" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'discount_cents'"
say "column discount_cents exists now: $([ "$SQL_OUT" = 1 ] && echo yes || echo no)"

bold "4. analyst (not governed) changes data: observed, never stopped"
show_sql analyst "UPDATE scratch SET note = 'new' WHERE id <= 3;"
sql analyst "UPDATE scratch SET note = 'new' WHERE id <= 3" && say "result: $SQL_OUT" || say "ERROR: $SQL_ERR"

bold "5. The same policy on MariaDB: agent_demo reads, drops, hides a DROP, writes"
mysay "SELECT name, credit FROM customers ORDER BY id"
mysay "DROP TABLE customers"
mysay "SELECT 1 /*! ; DROP TABLE customers */"
say "a write waits for a human, exactly as on PostgreSQL (the thread is held, the server is not):"
( "${SW_AS_CLIENT[@]}" "$MY_CLIENT" -h 127.0.0.1 -P "$SW_MY_PORT" -u agent_demo -p demo-pw -D shop \
	"q:UPDATE customers SET credit = credit + 10 WHERE id = 3" >"$SW_TMP/my-held.out" 2>&1 ) &
MYHELD=$!
MYID=
for _ in $(seq 1 100); do
	MYID=$("$SQLWARD" pending --format json | python3 -c 'import json,sys; p=[h for h in json.load(sys.stdin) if h.get("engine")=="mysql"]; print(p[0]["id"] if p else "")')
	[ -n "$MYID" ] && break; sleep 0.1
done
[ -n "$MYID" ] || sw_die "the MariaDB UPDATE was not held"
"$SQLWARD" pending | sed 's/^/   /'
say "the reviewer denies it: sqlward deny $MYID --comment 'credit changes go through billing'"
"$SQLWARD" deny "$MYID" --comment "credit changes go through billing" | sed 's/^/   /'
wait "$MYHELD"
sed 's/^/   client: /' "$SW_TMP/my-held.out"

sleep 0.3
bold "The ledger: sqlward log"
"$SQLWARD" log --ledger "$LEDGER" | sed 's/^/   /'
bold "Tamper evidence: sqlward verify"
"$SQLWARD" verify --ledger "$LEDGER" | sed 's/^/   /'
VERIFY_RC=${PIPESTATUS[0]}

kill -TERM "$DAEMON"; wait "$DAEMON" 2>/dev/null
mkdir -p "$TOP/build"
cp "$LEDGER" "$TOP/build/demo-ledger.jsonl"
bold "Done"
say "the cluster, the MariaDB server, the daemon and its pinned probes are removed on exit."
say "the ledger is kept in build/demo-ledger.jsonl: try  build/sqlward log --ledger build/demo-ledger.jsonl --format json"
exit "$VERIFY_RC"
