#!/usr/bin/env bash
# Make sure PostgreSQL, Redis, Node/npm, nginx and headless Chromium (with CJK fonts) are here, and the
# first two running.
# Installs them from Debian's packages when absent (needs root, as on our machines and CI).
set -euo pipefail

DB_USER=${HHHT_DB_USER:-hhht}
DB_PASS=${HHHT_DB_PASS:-hhht}
DB_NAME=${HHHT_DB_NAME:-hhht}
REDIS_PORT=${HHHT_REDIS_PORT:-6379}
APT_UPDATED=0

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# PostgreSQL
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "== installing PostgreSQL"; apt_install postgresql
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "== starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
    as_root pg_createcluster "$version" main
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi
psql_admin() { as_root runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")" != "1" ]; then
  psql_admin -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASS'"
fi
# The tests create a role that does not own the tables, to show what the application's role may not do.
psql_admin -c "ALTER ROLE $DB_USER CREATEROLE"
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
fi

# Redis
if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing Redis"; apt_install redis-server
fi
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "== starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
  for _ in $(seq 1 20); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

# Node and npm, for the front-end packages
if ! command -v npm >/dev/null 2>&1; then
  echo "== installing Node.js and npm"; apt_install nodejs npm
fi

# nginx and openssl (its test certificate), for the deployment smoke test, which starts its own nginx on
# free ports; none is started here
if ! command -v openssl >/dev/null 2>&1; then
  echo "== installing openssl"; apt_install openssl
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "== installing nginx"; apt_install nginx-light
  # Debian starts the packaged site where services may start: stop it, nothing here needs it.
  if [ -s /run/nginx.pid ]; then as_root nginx -s quit || true; fi
fi

# Chromium and CJK fonts, for the browser tests
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Chromium"; apt_install chromium
fi
if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then
  echo "== installing CJK fonts"; apt_install fonts-wqy-microhei
fi
echo "== services ready: PostgreSQL $(pg_isready -h 127.0.0.1 -p 5432 | cut -d- -f2), Redis $(redis-cli -p "$REDIS_PORT" ping)"
