#!/usr/bin/env bash
# The gate on servers in containers: PostgreSQL 15 and MariaDB run from a
# copied root under their own mount and PID namespaces (unshare + pivot_root,
# as a container runtime does: inside, /usr/lib/postgresql/15/bin/postgres is
# the container's file, and the same path on the host names another file).
# 1. --pg-bin /proc/PID/root/...; 2. the binary found from --postmaster-pid
# (and a session opened before the daemon started); 3. --mariadb-pid with the
# host's pid; 4. a container with its own network namespace too, its client
# inside it. Each: a governed DROP is refused and did not happen, a read runs,
# a held write is approved and runs, the role (and the requesting client) is
# right, `sqlward status` names the container's binary by /proc/PID/root, and
# the host's binary directory of the same name is not the one watched.
# Namespaces 1-3 share the host's network: the host's psql connects on 127.0.0.1.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

command -v unshare >/dev/null && command -v pivot_root >/dev/null ||
	sw_die "unshare and pivot_root (util-linux) are needed to start the container"
pg_ensure_user

# ---- the container's root -------------------------------------------------------
CT_DIR=$(mktemp -d /tmp/sqlward-ct.XXXXXX)
chmod 755 "$CT_DIR"
CT_ROOT=$CT_DIR/root
CT_INITS=()           # host pids of each namespace's init (its death ends every process in it)
CT_UNSHARES=()
sw_at_exit ct_cleanup
ct_cleanup() {
	local init n
	for init in "${CT_INITS[@]}"; do
		# Backends a gate left stopped die with the rest: SIGKILL to a PID namespace's init ends them all.
		kill -KILL "$init" 2>/dev/null
		n=0
		while kill -0 "$init" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	done
	for init in "${CT_UNSHARES[@]}"; do wait "$init" 2>/dev/null; done
	if [ "${SW_KEEP:-0}" = 1 ]; then echo "# kept $CT_DIR" >&2; else rm -rf "$CT_DIR"; fi
}

# copy_in FILE...: each file (symlinks followed) and the shared libraries it loads, at the same paths.
copy_in() {
	local f l
	for f in "$@"; do
		[ -e "$CT_ROOT$f" ] || { mkdir -p "$CT_ROOT$(dirname "$f")" && cp -L "$f" "$CT_ROOT$f"; } ||
			sw_die "cannot copy $f into the container root"
		for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			[ -e "$CT_ROOT$l" ] || { mkdir -p "$CT_ROOT$(dirname "$l")" && cp -L "$l" "$CT_ROOT$l"; } ||
				sw_die "cannot copy $l into the container root"
		done
	done
}

mkdir -p "$CT_ROOT"/{etc,dev,proc,tmp,old,var/lib/pg,usr/lib/postgresql,usr/share/postgresql,usr/share/zoneinfo}
chmod 1777 "$CT_ROOT/tmp"
# The server (without the JIT, which would need LLVM), its data files and time zones.
cp -a /usr/lib/postgresql/15 "$CT_ROOT/usr/lib/postgresql/" || sw_die "cannot copy /usr/lib/postgresql/15"
rm -rf "$CT_ROOT"/usr/lib/postgresql/15/lib/llvmjit* "$CT_ROOT"/usr/lib/postgresql/15/lib/bitcode
cp -a /usr/share/postgresql/15 "$CT_ROOT/usr/share/postgresql/" || sw_die "cannot copy /usr/share/postgresql/15"
cp -a /usr/share/zoneinfo/. "$CT_ROOT/usr/share/zoneinfo/"
# Their shared libraries (ldd runs on the copies: the same files).
for f in "$CT_ROOT"/usr/lib/postgresql/15/bin/* "$CT_ROOT"/usr/lib/postgresql/15/lib/*.so; do
	for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do copy_in "$l"; done
done
# What the namespace's init needs: a shell, mount, umount, chroot (to drop to the server's user).
copy_in /bin/dash /bin/mount /bin/umount /usr/sbin/chroot
ln -sf dash "$CT_ROOT/bin/sh"
PG_UID=$(id -u "$SW_PG_USER"); PG_GID=$(id -g "$SW_PG_USER")
printf 'root:x:0:0:root:/:/bin/sh\n%s:x:%s:%s::/var/lib/pg:/bin/sh\n' "$SW_PG_USER" "$PG_UID" "$PG_GID" >"$CT_ROOT/etc/passwd"
printf 'root:x:0:\n%s:x:%s:\n' "$SW_PG_USER" "$PG_GID" >"$CT_ROOT/etc/group"
for d in null zero random urandom; do touch "$CT_ROOT/dev/$d"; done
chown "$SW_PG_USER:" "$CT_ROOT/var/lib/pg"

# The cluster, made from the host (the same PostgreSQL 15) into the container's /var/lib/pg/data.
_pg_as "$SW_PG_BINDIR/initdb" -D "$CT_ROOT/var/lib/pg/data" -U "$SW_PG_SUPER" --auth=trust \
	--encoding=UTF8 --locale=C --no-sync >"$CT_DIR/initdb.log" 2>&1 ||
	{ cat "$CT_DIR/initdb.log" >&2; sw_die "initdb for the container failed"; }
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$CT_ROOT/var/lib/pg/data/pg_hba.conf"
SW_PG_HOST=127.0.0.1
SW_PG_PORT=$(pg_free_port)
export SW_PG_HOST SW_PG_PORT
cat >>"$CT_ROOT/var/lib/pg/data/postgresql.conf" <<-EOF
	listen_addresses = '127.0.0.1'
	port = $SW_PG_PORT
	unix_socket_directories = '/tmp'
	max_connections = 30
	shared_buffers = 32MB
	dynamic_shared_memory_type = sysv
	jit = off
	fsync = off
	log_min_messages = warning
EOF
chown -R "$SW_PG_USER:" "$CT_ROOT/var/lib/pg"

# ---- start it: mount + PID namespaces, pivot_root into the copy -----------------------
cat >"$CT_DIR/init.sh" <<-'EOF'
	set -e
	R=$1
	mount --make-rprivate /
	mount --bind "$R" "$R"
	for d in null zero random urandom; do mount --bind "/dev/$d" "$R/dev/$d"; done
	cd "$R"
	pivot_root . old
	# From here on only the container's files: its sh is the namespace's init, the server its child.
	exec /bin/sh -c "mount -t proc proc /proc && umount -l /old && $2 & wait"
EOF
# ct_start COMMAND: run COMMAND (a shell command line, container paths; its server started with
# exec, so that it is the init's child) in a new container on $CT_ROOT; sets CT_INIT to its
# init's host pid once it is there. CT_UNSHARE_NET=--net: its own network namespace too.
ct_start() {
	local u i
	unshare --mount --pid --fork ${CT_UNSHARE_NET:-} bash "$CT_DIR/init.sh" "$CT_ROOT" "$1" 9>&- 2>>"$CT_DIR/unshare.log" &
	u=$!
	CT_UNSHARES+=("$u")
	CT_INIT=""
	for i in $(seq 1 50); do
		CT_INIT=$(pgrep -P "$u" | head -n1)
		[ -n "$CT_INIT" ] && break
		sleep 0.1
	done
	[ -n "$CT_INIT" ] || sw_die "the container did not start (no init under unshare $u)"
	CT_INITS+=("$CT_INIT")
}
ct_start "exec chroot --userspec=$PG_UID:$PG_GID / /usr/lib/postgresql/15/bin/postgres -D /var/lib/pg/data >/var/lib/pg/postgres.log 2>&1"
for _ in $(seq 1 100); do
	"$SW_PG_BINDIR/pg_isready" -q -h "$SW_PG_HOST" -p "$SW_PG_PORT" && break
	sleep 0.2
done
"$SW_PG_BINDIR/pg_isready" -q -h "$SW_PG_HOST" -p "$SW_PG_PORT" ||
	{ cat "$CT_ROOT/var/lib/pg/postgres.log" >&2; sw_die "PostgreSQL in the container did not start"; }
# The postmaster as the host sees it: the namespace init's child (postmaster.pid has its pid inside).
CT_PM=$(pgrep -P "$CT_INIT" | head -n1)
[ -n "$CT_PM" ] || sw_die "no postmaster under the container's init $CT_INIT"
CT_PG_INIT=$CT_INIT
ns_pid=$(awk '/^NSpid:/ {print $3}' "/proc/$CT_PM/status")
assert_eq "container: the postmaster has its own pid inside (postmaster.pid says so)" \
	"$ns_pid" "$(head -n1 "$CT_ROOT/var/lib/pg/data/postmaster.pid")"
assert_eq "container: the server runs the container's file at the host's path name" \
	"/usr/lib/postgresql/15/bin/postgres" "$(readlink "/proc/$CT_PM/exe")"
assert_ne "container: that path on the host is another file" \
	"$(stat -L -c %d:%i "/proc/$CT_PM/exe")" "$(stat -c %d:%i /usr/lib/postgresql/15/bin/postgres)"

# The test's roles, database and tables, over TCP as on any cluster (tests/lib/pg.sh).
pg_fixtures

# gate_start names the postmaster by pg_postmaster_pid: the host's pid here.
pg_postmaster_pid() { echo "$CT_PM"; }
CT_BIN=/proc/$CT_PM/root/usr/lib/postgresql/15/bin/postgres

# One pass of the gate's basics against the container's server. $1: how the binary was named.
gate_checks() {
	local how=$1 st
	sql agent_test "SELECT count(*) FROM app.transactions"
	assert_eq "$how: a governed read runs" "0:200" "$SQL_RC:$SQL_OUT"
	sql agent_test "DROP TABLE app.scratch /* $how */"
	assert_contains "$how: a governed DROP TABLE is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
	assert_eq "$how: the table is still there" "t" "$(sql_admin_val "SELECT to_regclass('app.scratch') IS NOT NULL")"
	assert_ledger "$how: the ledger has the denied DROP with the authenticated role" \
		role=agent_test verdict=deny "statement~DROP TABLE app.scratch /* $how */"
	sql_bg agent_test "UPDATE app.scratch SET v = '$how-approved' WHERE id = 3"
	local h=$SQL_BG
	if wait_pending 15 "$how-approved"; then
		ok "$how: a governed UPDATE is held"
		assert_eq "$how: the held backend (a host pid) is stopped" "T" "$(proc_state "$PENDING_PID")"
		assert_eq "$how: the held backend is a child of the container's postmaster" "$CT_PM" \
			"$(awk '{print $4}' "/proc/$PENDING_PID/stat")"
		"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "container test" >"$SW_TMP/approve.out" 2>&1
		assert_rc "$how: sqlward approve exits 0" 0 $?
	else
		not_ok "$how: a governed UPDATE is held" "nothing pending; client: $(cat "$h.err" 2>/dev/null)"
		deny_all_pending >/dev/null
	fi
	sql_wait "$h" 30
	assert_eq "$how: the approved UPDATE ran" "0:UPDATE 1" "$SQL_RC:$SQL_OUT"
	assert_eq "$how: its change is visible" "$how-approved" "$(sql_admin_val "SELECT v FROM app.scratch WHERE id = 3")"
	sql analyst "DELETE FROM app.scratch WHERE id = 20"
	assert_eq "$how: an ungoverned role is only observed" "0:DELETE 1" "$SQL_RC:$SQL_OUT"
	assert_ledger "$how: the ungoverned role is recorded under its name" role=analyst "statement~id = 20"
	sql_admin "INSERT INTO app.scratch VALUES (20, 'back')" >/dev/null
	st=$("$SQLWARD" status --socket "$SW_SOCK" 2>&1)
	python3 - "$st" "$CT_PM" <<-'EOF' >"$SW_TMP/status.check" 2>&1
		import json, sys
		st = json.loads(sys.argv[1])
		bins = [b["binary"] for b in st["gate"]["binaries"]]
		want = "/proc/%s/root/usr/lib/postgresql/15/bin/postgres" % sys.argv[2]
		assert bins == [want], bins
		dirs = [c["data_directory"] for c in st["gate"]["scope"]]
		assert dirs == ["/proc/%s/root/var/lib/pg/data" % sys.argv[2]], dirs
		print(bins[0])
	EOF
	assert_eq "$how: sqlward status names the container's binary and data directory by /proc/PID/root" \
		"$CT_BIN" "$(tail -n1 "$SW_TMP/status.check")"
}

# The kernel watches the binary's directory for a replaced file: the container's, not the host's.
# (This daemon's map: its ids are in the fdinfo of the daemon's descriptors.)
bin_dir_watched() {
	local ids id k
	ids=$(grep -h '^map_id:' /proc/"$SW_GATE_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' ')
	id=$(bpftool map show -j 2>/dev/null | python3 -c '
import json, sys
ids = set(sys.argv[1].split())
for m in json.load(sys.stdin):
    if m.get("name") == "bin_dirs" and str(m.get("id")) in ids:
        print(m["id"]); break' "$ids")
	[ -n "$id" ] || { echo "no bin_dirs map among the daemon's maps ($ids)" >&2; return 2; }
	k=$(bpftool map dump id "$id" -j 2>/dev/null)
	python3 - "$k" "$(stat -c '%d %i' "$1")" <<-'EOF'
		import json, os, sys
		dev, ino = (int(x) for x in sys.argv[2].split())
		kdev = (os.major(dev) << 20) | os.minor(dev)
		for e in json.loads(sys.argv[1] or "[]"):
		    k = e.get("formatted", {}).get("key") or {}
		    if k.get("dev") == kdev and k.get("ino") == ino:
		        sys.exit(0)
		sys.exit(1)
	EOF
}

# ---- 1. --pg-bin /proc/PID/root/... ------------------------------------------------------
SW_PG_BIN=$CT_BIN
gate_start "$SW_TOP/policies/default.yaml"
ok "--pg-bin $CT_BIN: gate ready"
gate_checks "--pg-bin /proc/PID/root"
if command -v bpftool >/dev/null; then
	bin_dir_watched "$CT_ROOT/usr/lib/postgresql/15/bin" && ok "the container's binary directory is watched for replacement" ||
		not_ok "the container's binary directory is watched for replacement"
	bin_dir_watched /usr/lib/postgresql/15/bin
	assert_eq "the host's binary directory of the same name is not watched" 1 $?
else
	skip "binary directories watched" "bpftool not installed"
fi
gate_stop_check "--pg-bin /proc/PID/root: daemon stops cleanly"
gate_detach

# ---- 2. the binary found from --postmaster-pid (no --pg-bin) ---------------------------------
# A session from before the daemon starts is learned from its process title (found by its binary).
rm -f "$SW_TMP/go"
cmd_bg bash -c "(echo 'SELECT 1;'; while [ ! -e '$SW_TMP/go' ]; do sleep 0.1; done; echo 'DROP TABLE app.customers;') |
	runuser -u '$SW_CLIENT_USER' -- psql -X -At -h '$SW_PG_HOST' -p '$SW_PG_PORT' -U agent_test -d '$SW_PG_DB'"
early=$SQL_BG
sleep 1
cat >"$SW_TMP/sqlward-discover" <<-EOF
	#!/bin/bash
	# sqlward run without --pg-bin: the binary is found from --postmaster-pid.
	a=(); while [ \$# -gt 0 ]; do if [ "\$1" = --pg-bin ]; then shift 2; continue; fi; a+=("\$1"); shift; done
	exec "$SQLWARD" "\${a[@]}"
EOF
chmod 755 "$SW_TMP/sqlward-discover"
real_sqlward=$SQLWARD
SQLWARD=$SW_TMP/sqlward-discover gate_start "$SW_TOP/policies/default.yaml"
SQLWARD=$real_sqlward
ok "--postmaster-pid $CT_PM without --pg-bin: gate ready"
assert_ledger "the daemon records the container's binary by /proc/PID/root" "pg_bins~$CT_BIN"
touch "$SW_TMP/go"
sql_wait "$early" 30
assert_contains "a session opened before the daemon started: its DROP is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "the table is still there" "t" "$(sql_admin_val "SELECT to_regclass('app.customers') IS NOT NULL")"
assert_ledger "that session's DROP is recorded with its role" role=agent_test verdict=deny "statement~DROP TABLE app.customers"
gate_checks "discovered"
gate_stop_check "discovered: daemon stops cleanly"

gate_detach

# ---- 3. MariaDB in a container: --mariadb-pid with the host's pid ------------------------------
. tests/lib/mariadb.sh
sw_ensure_system_user "$SW_MY_USER"
sw_ensure_system_user "$SW_CLIENT_USER"
copy_in /usr/sbin/mariadbd
mkdir -p "$CT_ROOT/usr/share/mysql" "$CT_ROOT/var/lib/mysql"
cp -a /usr/share/mysql/. "$CT_ROOT/usr/share/mysql/"
MY_UID=$(id -u "$SW_MY_USER"); MY_GID=$(id -g "$SW_MY_USER")
printf '%s:x:%s:%s::/var/lib/mysql:/bin/sh\n' "$SW_MY_USER" "$MY_UID" "$MY_GID" >>"$CT_ROOT/etc/passwd"
printf '%s:x:%s:\n' "$SW_MY_USER" "$MY_GID" >>"$CT_ROOT/etc/group"
chown "$SW_MY_USER:" "$CT_ROOT/var/lib/mysql"
(cd / && runuser -u "$SW_MY_USER" -- mariadb-install-db --no-defaults --datadir="$CT_ROOT/var/lib/mysql" \
	--auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
	--innodb-buffer-pool-size=32M 9>&-) >"$CT_DIR/install-db.log" 2>&1 ||
	{ cat "$CT_DIR/install-db.log" >&2; sw_die "mariadb-install-db for the container failed"; }
SW_MY_PORT=$(pg_free_port)
SW_MY_SOCK=$CT_ROOT/tmp/mysqld.sock
export SW_MY_PORT SW_MY_SOCK
ct_start "exec /usr/sbin/mariadbd --no-defaults --user=$SW_MY_USER --datadir=/var/lib/mysql \
	--bind-address=127.0.0.1 --port=$SW_MY_PORT --socket=/tmp/mysqld.sock --pid-file=/tmp/mariadbd.pid \
	--log-error=/var/lib/mysql/error.log --tmpdir=/tmp --skip-name-resolve --max-connections=50 \
	--innodb-buffer-pool-size=32M --innodb-flush-log-at-trx-commit=0 --skip-log-bin </dev/null \
	>/var/lib/mysql/stdout.log 2>&1"
for _ in $(seq 1 150); do
	mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=2 ping >/dev/null 2>&1 && break
	sleep 0.2
done
mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=2 ping >/dev/null 2>&1 ||
	{ cat "$CT_ROOT/var/lib/mysql/error.log" >&2; sw_die "mariadbd in the container did not start"; }
CT_MY=$(pgrep -P "$CT_INIT" | head -n1)
[ -n "$CT_MY" ] || sw_die "no mariadbd under the container's init $CT_INIT"
SW_MY_PID=$CT_MY
assert_eq "container: mariadbd runs the container's file at the host's path name" \
	"/usr/sbin/mariadbd" "$(readlink "/proc/$CT_MY/exe")"
my_fixtures


SW_GATE_EXTRA="--mariadb-pid $CT_MY" gate_start "$SW_TOP/policies/default.yaml"
ok "--mariadb-pid $CT_MY (a container's mariadbd, by its host pid): gate ready"
myc agent_test "q:SELECT count(*) FROM accounts"
assert_eq "mariadb: a governed read runs" "0" "$MYC_RC"
assert_contains "mariadb: it returns the rows" "$MYC_OUT" "5"
myc agent_test "q:DROP TABLE scratch"
if [ "$MYC_RC" -ne 0 ] && grep -q "ERR 1644 sqlward" <<<"$MYC_OUT"; then ok "mariadb: a governed DROP TABLE is refused"
else not_ok "mariadb: a governed DROP TABLE is refused" "rc=$MYC_RC" "$MYC_OUT"; fi
my_sql_admin "SELECT count(*) FROM information_schema.tables WHERE table_schema='gatedb' AND table_name='scratch'"
assert_eq "mariadb: the table is still there" "1" "$MY_OUT"
assert_ledger "mariadb: the ledger has the denied DROP with the account's name" \
	engine=mysql role=agent_test verdict=deny "statement~DROP TABLE scratch"
myc_bg agent_test "q:UPDATE scratch SET v = 'ct-approved' WHERE id = 2"
h=$MYC_BG
if wait_pending 15 "ct-approved"; then
	ok "mariadb: a governed UPDATE is held"
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "container test" >"$SW_TMP/approve.out" 2>&1
	assert_rc "mariadb: sqlward approve exits 0" 0 $?
else
	not_ok "mariadb: a governed UPDATE is held" "nothing pending; client: $(cat "$h.out" 2>/dev/null)"
	deny_all_pending >/dev/null
fi
myc_wait "$h" 30
assert_eq "mariadb: the approved UPDATE ran" "0" "$MYC_RC"
my_sql_admin "SELECT v FROM gatedb.scratch WHERE id = 2"
assert_eq "mariadb: its change is visible" "ct-approved" "$MY_OUT"
st=$("$SQLWARD" status --socket "$SW_SOCK" 2>&1)
assert_contains "mariadb: sqlward status names the container's mariadbd by /proc/PID/root" "$st" \
	"\"/proc/$CT_MY/root/usr/sbin/mariadbd\""
gate_stop_check "mariadb: daemon stops cleanly"
gate_detach

# ---- 4. a container with its own network namespace: clients found inside it ----------------------
# The host's psql cannot reach it: the client runs inside the container too (nsenter), as the
# client OS user. Its sockets are listed only in that namespace: the daemon reads them there.
copy_in /usr/sbin/ip
_pg_as "$SW_PG_BINDIR/initdb" -D "$CT_ROOT/var/lib/pg/data2" -U "$SW_PG_SUPER" --auth=trust \
	--encoding=UTF8 --locale=C --no-sync >"$CT_DIR/initdb2.log" 2>&1 ||
	{ cat "$CT_DIR/initdb2.log" >&2; sw_die "initdb for the second container failed"; }
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$CT_ROOT/var/lib/pg/data2/pg_hba.conf"
cat >>"$CT_ROOT/var/lib/pg/data2/postgresql.conf" <<-EOF
	listen_addresses = '127.0.0.1'
	port = 5432
	unix_socket_directories = '/tmp'
	max_connections = 30
	shared_buffers = 32MB
	dynamic_shared_memory_type = sysv
	jit = off
	fsync = off
EOF
chown -R "$SW_PG_USER:" "$CT_ROOT/var/lib/pg/data2"
CT_UNSHARE_NET=--net ct_start "ip link set lo up && exec chroot --userspec=$PG_UID:$PG_GID / \
	/usr/lib/postgresql/15/bin/postgres -D /var/lib/pg/data2 >/var/lib/pg/postgres2.log 2>&1"
CT_NET_INIT=$CT_INIT
CL_UID=$(id -u "$SW_CLIENT_USER"); CL_GID=$(id -g "$SW_CLIENT_USER")
# ct_psql USER SQL...: psql inside that container, as the client OS user; sets SQL_OUT SQL_ERR SQL_RC.
ct_psql() {
	local role=$1 a=() s; shift
	for s in "$@"; do a+=(-c "$s"); done
	timeout -k 5 60 nsenter -t "$CT_NET_INIT" -m -p -n -r -w -S "$CL_UID" -G "$CL_GID" \
		/usr/lib/postgresql/15/bin/psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U "$role" -d postgres \
		"${a[@]}" >"$SW_TMP/ct.out" 2>"$SW_TMP/ct.err" </dev/null
	SQL_RC=$?; SQL_OUT=$(cat "$SW_TMP/ct.out"); SQL_ERR=$(cat "$SW_TMP/ct.err")
	return "$SQL_RC"
}
for _ in $(seq 1 100); do ct_psql postgres "SELECT 1" && break; sleep 0.2; done
assert_eq "own network namespace: the server answers inside it" "0:1" "$SQL_RC:$SQL_OUT"
CT_PM2=$(pgrep -P "$CT_NET_INIT" | head -n1)
assert_ne "own network namespace: it is not the host's" "$(stat -L -c %i /proc/self/ns/net)" \
	"$(stat -L -c %i "/proc/$CT_PM2/ns/net")"
ct_psql postgres "CREATE ROLE agent_test LOGIN" "CREATE TABLE t (id int PRIMARY KEY, v text)" \
	"INSERT INTO t VALUES (1, 'one')" "GRANT ALL ON t TO agent_test"
assert_eq "own network namespace: fixtures" "0" "$SQL_RC"
pg_postmaster_pid() { echo "$CT_PM2"; }
SW_PG_BIN=/proc/$CT_PM2/root/usr/lib/postgresql/15/bin/postgres
gate_start "$SW_TOP/policies/default.yaml"
ok "own network namespace: gate ready"
ct_psql agent_test "DROP TABLE t"
assert_contains "own network namespace: a governed DROP TABLE is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
( ct_psql agent_test "UPDATE t SET v = 'netns-approved' WHERE id = 1"; echo "$SQL_RC:$SQL_OUT" >"$SW_TMP/ct.bg" ) &
ct_bg=$!
if wait_pending 15 "netns-approved"; then
	ok "own network namespace: a governed UPDATE is held"
	pending_json >"$SW_TMP/ct-pending.json"
	python3 - "$PENDING_ID" "$SW_CLIENT_USER" "$SW_TMP/ct-pending.json" >"$SW_TMP/ct-req.txt" 2>&1 <<-'EOF'
		import json, sys
		p = {str(x["id"]): x for x in json.load(open(sys.argv[3]))}[sys.argv[1]]
		r = p.get("requester") or {}
		assert r.get("user") == sys.argv[2], p
		print(r["pid"])   # the client as the host sees it: a host pid
	EOF
	req_pid=$(tail -n1 "$SW_TMP/ct-req.txt")
	if [ -d "/proc/$req_pid" ] && [ "$(readlink "/proc/$req_pid/ns/net")" = "$(readlink "/proc/$CT_PM2/ns/net")" ] &&
		[ "$(readlink "/proc/$req_pid/exe")" = /usr/lib/postgresql/15/bin/psql ]; then
		ok "own network namespace: the requester is the container's psql (host pid $req_pid, user $SW_CLIENT_USER)"
	else
		not_ok "own network namespace: the requester is the container's psql" "$(cat "$SW_TMP/ct-req.txt")" \
			"$(cat "$SW_TMP/ct-pending.json")"
	fi
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "container test" >"$SW_TMP/approve.out" 2>&1
	assert_rc "own network namespace: sqlward approve exits 0" 0 $?
else
	not_ok "own network namespace: a governed UPDATE is held" "nothing pending"
	deny_all_pending >/dev/null
fi
wait "$ct_bg"
assert_eq "own network namespace: the approved UPDATE ran" "0:UPDATE 1" "$(cat "$SW_TMP/ct.bg")"
gate_stop_check "own network namespace: daemon stops cleanly"

finish
