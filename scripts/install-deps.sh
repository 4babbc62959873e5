#!/usr/bin/env bash
# Install the Debian packages sqlward's build, tests and demo need, only
# those that are missing. Safe to run repeatedly; needs root (or sudo).
# With --bench, also the packages only the benchmark needs.
set -euo pipefail

PACKAGES=(
  make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
  libpg-query-dev libprotobuf-c-dev libyaml-dev libjansson-dev libssl-dev
  libcmocka-dev libclang-rt-14-dev libcurl4-openssl-dev libpq-dev postgresql-15 postgresql-client-15 postgresql-contrib
  procps psmisc util-linux iproute2 python3
  mariadb-server mariadb-client libmariadb-dev sysbench bison
  debhelper
  python3-django python3-alembic python3-sqlalchemy python3-psycopg2
)
# --bench: also what `make bench` compares against and plots with (bench/run.sh).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(postgresql-15-pgaudit pgbouncer gnuplot-nox time)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql packages create and start a "main" cluster; sqlward
# never uses it (tests and demo start their own), so keep it from starting.
if [ ! -e /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster = false' /etc/postgresql-common/createcluster.conf 2>/dev/null; then
  $SUDO mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null
fi
# Debian's mariadb-server starts its own instance (/var/lib/mysql) from its
# maintainer scripts; sqlward never uses it (tests start their own mariadbd).
# Without a policy-rc.d already in place, a temporary one refuses that start.
MY_POLICY_TMP=0
if [[ " ${missing[*]} " == *" mariadb-server "* ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# sqlward install-deps: do not start Debian'"'"'s MariaDB\ncase "$1" in mariadb|mysql|mariadb.service|mysql.service) exit 101;; esac\nexit 0\n' |
    $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod 755 /usr/sbin/policy-rc.d && MY_POLICY_TMP=1
fi
$SUDO apt-get update -qq || { echo "install-deps: apt-get update failed; check the package archive is reachable" >&2; exit 1; }
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { echo "install-deps: apt-get install failed for: ${missing[*]}" >&2; [ $MY_POLICY_TMP = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d; exit 1; }
[ $MY_POLICY_TMP = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
if [[ " ${missing[*]} " == *" mariadb-server "* ]]; then
  # Whatever started anyway: stop Debian's instance (only its pid file's process) and keep it
  # from starting at boot.
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now mariadb.service >/dev/null 2>&1 || true
  elif [ -s /run/mysqld/mysqld.pid ] && kill -0 "$(cat /run/mysqld/mysqld.pid)" 2>/dev/null; then
    $SUDO kill -TERM "$(cat /run/mysqld/mysqld.pid)" 2>/dev/null || true
  fi
fi
echo "install-deps: done"
