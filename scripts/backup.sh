#!/usr/bin/env bash
# A backup of the portal into a new folder: the database (pg_dump, custom format), the uploaded documents
# (a tar of MEDIA_ROOT, or the bucket's listing when they live on S3) and a manifest of row counts that
# scripts/restore.sh checks after restoring.
#
#   DATABASE_URL=postgres://... MEDIA_ROOT=/var/lib/hhht-power/private-media scripts/backup.sh /backups/2026-12-05
#
# Reads the same variables as the portal (source /etc/hhht-power/env first). On S3 the objects are not
# copied: keep the bucket versioned (and replicated); the listing says which objects the dump refers to.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/backup.sh BACKUP_DIR}
: "${DATABASE_URL:?DATABASE_URL must be set}"
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$target"
if [ -n "$(ls -A "$target")" ]; then echo "backup: $target is not empty" >&2; exit 1; fi

# Counted in the same snapshot as the dump would be too costly to arrange; counted first, so a restore
# has at least these rows (rows added during the dump are in it or not, never half).
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAt -F ' ' >"$target/manifest.txt" <<'SQL'
SELECT 'cases', count(*) FROM applications_application;
SELECT 'clocks', count(*) FROM deadlines_stageclock;
SELECT 'audit', count(*) FROM applications_auditentry;
SELECT 'documents', count(*) FROM applications_document;
SQL
pg_dump --format=custom --no-owner --no-privileges --file="$target/db.dump" "$DATABASE_URL"

if [ "${MEDIA_STORAGE:-local}" = "s3" ]; then
  DJANGO_SETTINGS_MODULE=hhht_power.settings "$PY" -c '
import django; django.setup()
from hhht_power.media import bucket_listing
for line in bucket_listing():
    print(line)' >"$target/bucket-listing.tsv"
else
  media=${MEDIA_ROOT:?MEDIA_ROOT must be set (or MEDIA_STORAGE=s3)}
  mkdir -p "$media"
  tar -C "$media" -czf "$target/media.tar.gz" .
fi
(cd "$target" && sha256sum -- * >SHA256SUMS)
echo "backup written to $target: $(tr '\n' ' ' <"$target/manifest.txt")"
