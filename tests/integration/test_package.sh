#!/usr/bin/env bash
# The Debian package, installed and run like the service on this machine: built with
# `make deb` (dpkg-buildpackage from a copy of the tree, into a temp dir), `dpkg -i`, its files,
# modes and conffiles checked, the installed unit verified by systemd-analyze, then the installed
# daemon started exactly as the unit's ExecStart says (EnvironmentFile read, $SQLWARD_OPTS split,
# CapabilityBoundingSet, NoNewPrivileges and LimitMEMLOCK applied with setpriv/prlimit: PID 1 is
# not systemd here, so systemctl cannot). /etc/default/sqlward points it at this test's own
# cluster (--postmaster-pid). It gates, reloads on ExecReload, stops on SIGTERM leaving its pins
# (the gate stays closed), an upgrade to a newer package over the running gate, `sqlward detach` opens it, `dpkg -r` detaches what a stopped daemon
# left, `dpkg -P` removes the rest. The package is purged at exit even on failure, and nothing
# may be left behind.
set -uo pipefail
SW_TOP=${SW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SW_TOP" || exit 1
source tests/lib/assert.sh
source tests/lib/pg.sh

PKG=sqlward
UNIT=/lib/systemd/system/sqlward.service
PINS=/sys/fs/bpf/sqlward
SBIN=/usr/sbin/sqlward

# ---- never clobber a real installation -------------------------------------------------
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "installed\|config-files"; then
	skip "package test" "the sqlward package is already installed on this host; the test installs and purges its own"
	finish; exit $?
fi
for f in "$SBIN" /etc/sqlward /etc/default/sqlward /var/lib/sqlward "$PINS" "$UNIT"; do
	if [ -e "$f" ]; then
		skip "package test" "$f exists (a sqlward installed by hand?); remove it or run this test elsewhere"
		finish; exit $?
	fi
done
for t in dpkg-buildpackage dh setpriv prlimit systemd-analyze; do
	command -v "$t" >/dev/null || sw_die "$t not found: run scripts/install-deps.sh (debhelper, dpkg-dev, util-linux, systemd)"
done

# Runs at exit (last registered first): stop a daemon still running, then purge, then check.
PKG_DAEMON_PID=
pkg_daemon_kill() {
	[ -n "$PKG_DAEMON_PID" ] || return 0
	kill -TERM "$PKG_DAEMON_PID" 2>/dev/null
	local n=0
	while kill -0 "$PKG_DAEMON_PID" 2>/dev/null && [ "$n" -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
	kill -KILL "$PKG_DAEMON_PID" 2>/dev/null
	wait "$PKG_DAEMON_PID" 2>/dev/null
	PKG_DAEMON_PID=
}
pkg_purge() {
	[ -x "$SBIN" ] && [ -d "$PINS" ] && "$SBIN" detach "$PINS" >/dev/null 2>&1
	dpkg-query -W "$PKG" >/dev/null 2>&1 && dpkg -P "$PKG" >/dev/null 2>&1
	rm -f /run/sqlward/control.sock
	# The pin dir did not exist before this test: whatever is pinned there is its own.
	[ -d "$PINS" ] && rm -f "$PINS"/* && rmdir "$PINS" 2>/dev/null
	return 0
}
sw_at_exit pkg_purge
sw_at_exit pkg_daemon_kill

# ---- build --------------------------------------------------------------------------------
# A debian/ build in the tree itself would leave these behind; none may appear.
tree_debris() { ls -d debian/.debhelper debian/sqlward debian/files debian/*.substvars \
	debian/debhelper-build-stamp ../sqlward_*.deb ../sqlward_*.buildinfo ../sqlward_*.changes 2>/dev/null; }
debris_before=$(tree_debris)
debdir=$SW_TMP/debbuild
start=$(date +%s)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS=parallel=2 \
	make --no-print-directory BUILD="$debdir" deb >"$SW_TMP/deb-build.log" 2>&1
rc=$?
deb=$(ls "$debdir"/deb/sqlward_*_amd64.deb 2>/dev/null | head -n1)
if [ "$rc" -eq 0 ] && [ -n "$deb" ]; then
	ok "make deb builds $(basename "$deb") with dpkg-buildpackage ($(($(date +%s) - start)) s)"
else
	not_ok "make deb builds the package" "exit $rc" "$(tail -n 30 "$SW_TMP/deb-build.log")"
	finish; exit 1
fi
assert_eq "the checkout is not written to by the package build" "$debris_before" "$(tree_debris)"
# `make install` into a DESTDIR with PREFIX=/usr/local (the package's build tree, already built),
# an existing policy kept, then `make uninstall`.
dest=$SW_TMP/dest
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$debdir/deb/src" BUILD=build "$@"; }
mk install DESTDIR="$dest" PREFIX=/usr/local >"$SW_TMP/make-install.log" 2>&1; rc=$?
assert_rc "make install DESTDIR=... PREFIX=/usr/local" 0 "$rc"
got=$(cd "$dest" 2>/dev/null && stat -c '%a %n' usr/local/sbin/sqlward etc/sqlward etc/sqlward/policy.yaml \
	etc/default/sqlward usr/local/lib/systemd/system/sqlward.service \
	usr/local/share/sqlward/policies/examples/observe-only.yaml 2>&1 | tr '\n' ' ')
assert_eq "... installs the daemon, policy, environment file, unit and examples with their modes" \
	"755 usr/local/sbin/sqlward 750 etc/sqlward 640 etc/sqlward/policy.yaml 644 etc/default/sqlward 644 usr/local/lib/systemd/system/sqlward.service 644 usr/local/share/sqlward/policies/examples/observe-only.yaml " "$got"
assert_eq "... and the unit runs PREFIX's binary" "ExecStart=/usr/local/sbin/sqlward run \$SQLWARD_OPTS" \
	"$(grep '^ExecStart=' "$dest/usr/local/lib/systemd/system/sqlward.service")"
echo "# the admin's" >>"$dest/etc/sqlward/policy.yaml"
out=$(mk install DESTDIR="$dest" PREFIX=/usr/local 2>&1)
assert_eq "a second make install keeps the admin's policy" "# the admin's" "$(tail -n1 "$dest/etc/sqlward/policy.yaml")"
mk uninstall DESTDIR="$dest" PREFIX=/usr/local >"$SW_TMP/make-uninstall.log" 2>&1; rc=$?
assert_rc "make uninstall" 0 "$rc"
left=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
assert_eq "... removes everything but the changed policy" "./etc/sqlward/policy.yaml " "$left"

# Only now the integration lock (lib_gate.sh): the build does not hold up other tests.
source tests/integration/lib_gate.sh
deps=$(dpkg-deb -f "$deb" Depends)
assert_contains "Depends comes from the binary's libraries (shlibs): libbpf" "$deps" "libbpf1"
assert_contains "... and libpq" "$deps" "libpq5"

# ---- install -------------------------------------------------------------------------------
if dpkg -i "$deb" >"$SW_TMP/dpkg-i.log" 2>&1; then ok "dpkg -i installs it"
else not_ok "dpkg -i installs it" "$(cat "$SW_TMP/dpkg-i.log")"; finish; exit 1; fi
assert_eq "dpkg says it is installed" "install ok installed" "$(dpkg-query -W -f='${Status}' "$PKG")"

listing=$(dpkg -L "$PKG")
for f in "$SBIN" "$UNIT" /etc/sqlward/policy.yaml /etc/default/sqlward \
	/usr/share/sqlward/policies/default.yaml /usr/share/sqlward/policies/read-only-analytics.yaml \
	/usr/share/sqlward/policies/examples/strict-read-only.yaml /usr/share/sqlward/policies/README.md; do
	if grep -qx "$f" <<<"$listing" && [ -e "$f" ]; then ok "installed: $f"; else not_ok "installed: $f" "$listing"; fi
done
mode_of() { stat -c '%a %U:%G' "$1" 2>/dev/null; }
assert_eq "the daemon binary: 0755 root" "755 root:root" "$(mode_of "$SBIN")"
assert_eq "/etc/sqlward: 0750 (the policy is the security team's)" "750 root:root" "$(mode_of /etc/sqlward)"
assert_eq "/etc/sqlward/policy.yaml: 0640" "640 root:root" "$(mode_of /etc/sqlward/policy.yaml)"
assert_eq "the unit: 0644" "644 root:root" "$(mode_of "$UNIT")"
assert_eq "postinst made /var/lib/sqlward 0750" "750 root:root" "$(mode_of /var/lib/sqlward)"
check "the installed policy is the shipped default" cmp -s policies/default.yaml /etc/sqlward/policy.yaml
conffiles=$(dpkg-query -W -f='${Conffiles}\n' "$PKG")
assert_contains "conffile: /etc/sqlward/policy.yaml" "$conffiles" "/etc/sqlward/policy.yaml"
assert_contains "conffile: /etc/default/sqlward" "$conffiles" "/etc/default/sqlward"
if [ -e /etc/systemd/system/multi-user.target.wants/sqlward.service ]; then
	not_ok "a first install does not enable the gate (the admin sets SQLWARD_OPTS first)"
else ok "a first install does not enable the gate (the admin sets SQLWARD_OPTS first)"; fi
out=$(echo "DROP TABLE app.scratch" | "$SBIN" check --role agent_x 2>&1)
assert_contains "sqlward check uses the installed policy" "$out" "/etc/sqlward/policy.yaml"

verify_out=$(systemd-analyze verify "$UNIT" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [ -z "$verify_out" ]; then ok "systemd-analyze verify: the installed unit is clean"
else not_ok "systemd-analyze verify: the installed unit is clean" "exit $rc" "$verify_out"; fi

# ---- the unit, read the way systemd reads it -------------------------------------------------
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n1; }
exec_start=$(unit_value ExecStart)
exec_reload=$(unit_value ExecReload)
env_file=$(unit_value EnvironmentFile); env_file=${env_file#-}
caps=$(unit_value CapabilityBoundingSet)
assert_eq "ExecStart runs the installed binary with \$SQLWARD_OPTS" "$SBIN run \$SQLWARD_OPTS" "$exec_start"
assert_eq "EnvironmentFile is /etc/default/sqlward" "/etc/default/sqlward" "$env_file"
assert_eq "NoNewPrivileges" "yes" "$(unit_value NoNewPrivileges)"
assert_eq "LimitMEMLOCK" "infinity" "$(unit_value LimitMEMLOCK)"
if grep -q '^ExecStop.*detach' "$UNIT"; then not_ok "stopping the service never detaches"
else ok "stopping the service never detaches"; fi
unit_nice=$(unit_value Nice)
assert_eq "Nice: the daemon runs ahead of the backends it records" "-10" "$unit_nice"
setpriv_caps="-all"
for c in $caps; do c=${c#CAP_}; setpriv_caps+=",+${c,,}"; done
# LimitMEMLOCK=infinity, unless this machine cannot raise the hard limit even for root (systemd
# as PID 1 could; the kernel charges BPF memory to the cgroup anyway since 5.11).
memlock=(prlimit --memlock=unlimited:unlimited --)
if ! prlimit --memlock=unlimited:unlimited -- true 2>/dev/null; then
	memlock=()
	skip "LimitMEMLOCK=infinity applied" "root here cannot raise RLIMIT_MEMLOCK (hard limit $(ulimit -H -l) KiB, no CAP_SYS_RESOURCE in this machine's bounding set)"
fi

if [ "$(ps -o comm= -p 1)" = systemd ]; then
	skip "systemctl start sqlward" "not attempted: this test never starts a service on the host's systemd"
else
	skip "systemctl start sqlward" "PID 1 is $(ps -o comm= -p 1), not systemd: the unit is run by hand as below"
fi

# ---- a cluster of its own, and the admin's /etc/default/sqlward -----------------------------
pg_start
pg_fixtures
pm=$(pg_postmaster_pid)
cat >/etc/default/sqlward <<EOF
# test_package.sh: this test's own cluster only
SQLWARD_OPTS="--pg-bin $SW_PG_BIN --postmaster-pid $pm"
EOF

# Start the daemon as the unit does: MAINPID is the daemon itself (prlimit and setpriv exec it).
PKG_DAEMON_LOG=
pkg_daemon_start() {
	local argv=() w SQLWARD_OPTS=
	# shellcheck disable=SC1090
	SQLWARD_OPTS=$( set -a; . "$env_file"; printf '%s' "$SQLWARD_OPTS")
	for w in $exec_start; do
		# shellcheck disable=SC2016,SC2206  # systemd splits an unbraced $VAR on white space
		if [ "$w" = '$SQLWARD_OPTS' ]; then argv+=($SQLWARD_OPTS); else argv+=("$w"); fi
	done
	mkdir -p -m 0755 /run/sqlward   # RuntimeDirectory=sqlward
	PKG_DAEMON_LOG=$SW_TMP/daemon.$RANDOM.log
	(cd / && exec nice -n "${unit_nice:-0}" "${memlock[@]}" setpriv --bounding-set "$setpriv_caps" \
		--no-new-privs -- "${argv[@]}" >"$PKG_DAEMON_LOG" 2>&1 </dev/null 9>&-) &
	PKG_DAEMON_PID=$!
	local n=0
	while [ "$n" -lt 300 ]; do
		grep -q "gate ready" "$PKG_DAEMON_LOG" 2>/dev/null && return 0
		kill -0 "$PKG_DAEMON_PID" 2>/dev/null || break
		sleep 0.1; n=$((n + 1))
	done
	not_ok "the installed daemon starts as the unit says" "$(cat "$PKG_DAEMON_LOG")"
	return 1
}
pkg_daemon_stop() {  # SIGTERM (what systemctl stop sends); sets PKG_DAEMON_RC
	kill -TERM "$PKG_DAEMON_PID"
	local n=0
	while kill -0 "$PKG_DAEMON_PID" 2>/dev/null && [ "$n" -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
	wait "$PKG_DAEMON_PID" 2>/dev/null; PKG_DAEMON_RC=$?
	PKG_DAEMON_PID=
}
pins_present() { [ -d "$PINS" ] && [ -n "$(ls -A "$PINS" 2>/dev/null)" ]; }

if ! pkg_daemon_start; then gate_log_on_failure; finish; exit 1; fi
ok "the installed daemon starts from the unit's ExecStart and /etc/default/sqlward"
st=/proc/$PKG_DAEMON_PID/status
assert_eq "it runs with the unit's capability bounding set" \
	"$(setpriv --bounding-set "$setpriv_caps" -- grep CapBnd /proc/self/status)" "$(grep CapBnd "$st")"
assert_eq "... and no_new_privs" "NoNewPrivs:	1" "$(grep NoNewPrivs "$st")"
assert_eq "... at the unit's Nice, which needs no CAP_SYS_NICE of its own" "-10" "$(ps -o ni= -p "$PKG_DAEMON_PID" | tr -d ' ')"
assert_not_contains "... and says nothing about its priority" "$(cat "$PKG_DAEMON_LOG")" "cannot set the daemon's priority"
check "it pinned its probes in $PINS" pins_present
check "its control socket is /run/sqlward/control.sock" test -S /run/sqlward/control.sock
status=$("$SBIN" status 2>&1)
assert_contains "sqlward status answers on the default socket" "$status" "gating"

sql agent_test "SELECT count(*) FROM app.t"
assert_eq "a governed SELECT runs" "0:10" "$SQL_RC:$SQL_OUT"
sql agent_test "DROP TABLE app.scratch"
assert_contains "a governed DROP TABLE is refused" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "... and the table is still there" "20" "$(sql_admin_val "SELECT count(*) FROM app.scratch")"
assert_eq "the ledger is /var/lib/sqlward/ledger.jsonl, 0640" "640" "$(stat -c %a /var/lib/sqlward/ledger.jsonl 2>/dev/null)"
SW_LEDGER=/var/lib/sqlward/ledger.jsonl
assert_ledger "the ledger has the refusal" role=agent_test verdict=deny statement~"DROP TABLE app.scratch"

# ExecReload after the admin edits the policy. A policy that does not load is refused and the
# old one stays in force; a good one takes over: every governed statement denied.
reload=${exec_reload//\$MAINPID/$PKG_DAEMON_PID}
printf 'sqlward_policy: 1\ngovern: [not a mapping\n' >/etc/sqlward/policy.yaml
$reload
if ledger_match event=policy_reload_refused; then ok "ExecReload (SIGHUP) refuses a policy that does not load"
else not_ok "ExecReload (SIGHUP) refuses a policy that does not load" "$(tail -n 20 "$PKG_DAEMON_LOG")"; fi
sql agent_test "SELECT count(*) FROM app.t"
assert_eq "... and the old policy stays in force (the SELECT runs)" "0:10" "$SQL_RC:$SQL_OUT"
printf 'sqlward_policy: 1\ngovern:\n  roles: ["agent_*"]\ndefault: deny\n' >/etc/sqlward/policy.yaml
$reload
if ledger_match event=policy_reloaded; then ok "ExecReload (SIGHUP) reloads the policy"
else not_ok "ExecReload (SIGHUP) reloads the policy" "$(tail -n 20 "$PKG_DAEMON_LOG")"; fi
check "... and the daemon is still running" kill -0 "$PKG_DAEMON_PID"
sql agent_test "SELECT count(*) FROM app.t"
assert_contains "the reloaded policy is in force: the same SELECT is refused now" "$SQL_ERR" "$SW_CANCEL_MSG"

# Stop (SIGTERM): the pins stay and keep the gate closed.
pkg_daemon_stop
assert_eq "SIGTERM stops the daemon cleanly" "0" "$PKG_DAEMON_RC"
check "its pins are still there after it stopped" pins_present
sql agent_test "SELECT 1"
assert_contains "with the daemon stopped, a governed statement is refused, not run" "$SQL_ERR" "$SW_CANCEL_MSG"
sql analyst "SELECT 1"
assert_eq "an ungoverned role is not stopped" "0:1" "$SQL_RC:$SQL_OUT"
out=$("$SBIN" verify 2>&1); rc=$?
assert_rc "sqlward verify: the ledger's chain is intact" 0 "$rc"

# ---- upgrade: a newer package over a running gate -------------------------------------------
# The same build repacked with a higher version. dpkg replaces the binary under the running
# daemon; prerm upgrade detaches nothing; the admin's changed policy (a conffile) is kept; then
# the restart systemd would do (postinst: deb-systemd-invoke restart): the pins keep the gate
# closed between the old daemon's stop and the new one's start, and the chain goes on.
old_ver=$(dpkg-deb -f "$deb" Version)
new_ver="$old_ver+upgradetest1"
rm -rf "$SW_TMP/upg" && dpkg-deb -R "$deb" "$SW_TMP/upg"
sed -i "s/^Version: .*/Version: $new_ver/" "$SW_TMP/upg/DEBIAN/control"
dpkg-deb -b "$SW_TMP/upg" "$SW_TMP/sqlward-upgrade.deb" >/dev/null 2>&1 || not_ok "repack for the upgrade" "dpkg-deb -b failed"
policy_before=$(sha256sum </etc/sqlward/policy.yaml)
seq_before=$(tail -n1 /var/lib/sqlward/ledger.jsonl | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["seq"])')
if ! pkg_daemon_start; then finish; exit 1; fi
if dpkg -i "$SW_TMP/sqlward-upgrade.deb" >"$SW_TMP/dpkg-upgrade.log" 2>&1; then ok "dpkg -i upgrades $old_ver to $new_ver"
else not_ok "dpkg -i upgrades $old_ver to $new_ver" "$(cat "$SW_TMP/dpkg-upgrade.log")"; fi
assert_eq "dpkg knows the new version" "$new_ver" "$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null)"
assert_eq "the admin's changed policy is kept" "$policy_before" "$(sha256sum </etc/sqlward/policy.yaml)"
check "the old daemon still runs while the package is replaced" kill -0 "$PKG_DAEMON_PID"
check "the pins were not touched by the upgrade" pins_present
pkg_daemon_stop
assert_eq "the old daemon stops cleanly" "0" "$PKG_DAEMON_RC"
sql agent_test "SELECT 1"
assert_contains "between the two daemons a governed statement is refused (pins)" "$SQL_ERR" "$SW_CANCEL_MSG"
if ! pkg_daemon_start; then finish; exit 1; fi
ok "the upgraded daemon starts from the unit"
sql agent_test "SELECT count(*) FROM app.t"
assert_contains "the upgraded daemon enforces the kept policy" "$SQL_ERR" "$SW_CANCEL_MSG"
pkg_daemon_stop
out=$("$SBIN" verify 2>&1); rc=$?
assert_rc "after the upgrade the ledger's chain is intact" 0 "$rc"
seq_after=$(tail -n1 /var/lib/sqlward/ledger.jsonl | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["seq"])')
check "and it went on from where it was (seq $seq_before -> $seq_after)" test "$seq_after" -gt "$seq_before"

"$SBIN" detach >"$SW_TMP/detach.log" 2>&1; rc=$?
assert_rc "sqlward detach removes the pins" 0 "$rc"
if pins_present; then
	not_ok "... none is left" "left in $PINS: $(ls -A "$PINS" | tr '\n' ' ')" \
		"(nested-* are execution-checkpoint links: sqlward detach must remove them too)"
else ok "... none is left"; fi
sql agent_test "SELECT 1"
assert_eq "detached, the governed role is no longer stopped" "0:1" "$SQL_RC:$SQL_OUT"

# dpkg -r of a stopped daemon's pins: prerm detaches them; config and ledger stay.
if ! pkg_daemon_start; then finish; exit 1; fi
pkg_daemon_stop
check "restarted and stopped again: pins left" pins_present
if dpkg -r "$PKG" >"$SW_TMP/dpkg-r.log" 2>&1; then ok "dpkg -r removes it"
else not_ok "dpkg -r removes it" "$(cat "$SW_TMP/dpkg-r.log")"; fi
if pins_present; then not_ok "prerm detached the pins of the stopped daemon" "$(ls -A "$PINS")"
else ok "prerm detached the pins of the stopped daemon"; fi
sql agent_test "SELECT 1"
assert_eq "removed, the governed role is no longer stopped" "0:1" "$SQL_RC:$SQL_OUT"
check "the binary is gone" test ! -e "$SBIN"
check "the unit is gone" test ! -e "$UNIT"
check "remove keeps the (changed) policy" test -e /etc/sqlward/policy.yaml
check "remove keeps the ledger" test -e /var/lib/sqlward/ledger.jsonl
assert_eq "dpkg says config-files" "deinstall ok config-files" "$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)"

if dpkg -P "$PKG" >"$SW_TMP/dpkg-p.log" 2>&1; then ok "dpkg -P purges it"
else not_ok "dpkg -P purges it" "$(cat "$SW_TMP/dpkg-p.log")"; fi
left=""
for f in "$SBIN" /etc/sqlward /etc/default/sqlward /var/lib/sqlward "$UNIT" /usr/share/sqlward \
	/usr/share/doc/sqlward "$PINS" /etc/systemd/system/multi-user.target.wants/sqlward.service; do
	[ -e "$f" ] && left+="$f "
done
left+=$(find /var/lib/systemd/deb-systemd-helper-enabled -name '*sqlward*' 2>/dev/null)
assert_eq "nothing is left after the purge" "" "$left"
check "dpkg no longer knows it" test -z "$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)"

if [ "$SW_T_FAIL" -gt 0 ] && [ -n "$PKG_DAEMON_LOG" ]; then diag "---- tail of $PKG_DAEMON_LOG"; diag "$(tail -n 40 "$PKG_DAEMON_LOG")"; fi
finish
