#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh into a NEW database (created here; refused if it has tables) and,
# for local media, into MEDIA_ROOT; then compare the row counts with the backup's manifest.
#
#   scripts/restore.sh /backups/2026-12-05 postgres://hhht:...@db:5432/hhht_restored [MEDIA_ROOT]
#
# The restore drill (tests/deploy/test_restore_drill.py) runs this against the test database's server.
set -euo pipefail
cd "$(dirname "$0")/.."
backup=${1:?usage: scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL [MEDIA_ROOT]}
target_url=${2:?usage: scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL [MEDIA_ROOT]}
media=${3:-}

(cd "$backup" && sha256sum --quiet --check SHA256SUMS)

# The database named in the URL, created through the server's maintenance database.
dbname=${target_url##*/}
dbname=${dbname%%\?*}
admin_url="${target_url%/*}/postgres"
exists=$(psql "$admin_url" -qAt -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'")
if [ "$exists" = "1" ]; then
  tables=$(psql "$target_url" -qAt -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
  if [ "$tables" != "0" ]; then echo "restore: database $dbname is not empty" >&2; exit 1; fi
else
  psql "$admin_url" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$dbname\""
fi
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target_url" "$backup/db.dump"

if [ -f "$backup/media.tar.gz" ] && [ -n "$media" ]; then
  mkdir -p "$media"
  tar -C "$media" -xzf "$backup/media.tar.gz"
fi

status=0
while read -r what expected; do
  case $what in
    cases) table=applications_application ;;
    clocks) table=deadlines_stageclock ;;
    audit) table=applications_auditentry ;;
    documents) table=applications_document ;;
    *) continue ;;
  esac
  found=$(psql "$target_url" -qAt -c "SELECT count(*) FROM $table")
  if [ "$found" -lt "$expected" ]; then
    echo "restore: $what: $found rows, the backup counted $expected" >&2
    status=1
  else
    echo "restore: $what: $found rows (backup counted $expected)"
  fi
done <"$backup/manifest.txt"
exit $status
