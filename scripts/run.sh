#!/usr/bin/env bash
# The portal with demo data and no external servers: web server, Celery worker and beat.
# Ctrl-C stops every process this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ADDR=${HHHT_ADDR:-127.0.0.1:8000}
mkdir -p var/celery-broker/queue var/celery-broker/control

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/celery -A hhht_power worker -B --pool=solo --loglevel=WARNING \
  --schedule var/celerybeat-schedule >var/celery.log 2>&1 &
pids+=($!)
.venv/bin/gunicorn hhht_power.wsgi:application --bind "$ADDR" --workers 2 --access-logfile - \
  --error-logfile - >var/web.log 2>&1 &
pids+=($!)

cat <<MSG

  呼和浩特市获得电力服务平台 is running at http://$ADDR/
  API docs: http://$ADDR/api/docs/   Admin: http://$ADDR/admin/
  Demo accounts (password ${DEMO_PASSWORD:-Hhht-demo-2026}):
    customer_demo customer_demo2 psb_demo window_demo zrzy_demo cgzf_demo
    zjj_demo jgzd_demo gxj_demo fgw_demo admin_demo
  Logs: var/web.log, var/celery.log.  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"
