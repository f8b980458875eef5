#!/usr/bin/env bash
# The production-like stack on one machine: PostgreSQL + Redis (already running here), N gunicorn gevent
# processes sharing them, nginx in front with sticky sessions. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PROCESSES=${PROCESSES:-2}
PORT=${PORT:-8000}
FIRST_PORT=${FIRST_PORT:-5001}
RUN=${RUN_DIR:-$ROOT/instance/serve}
export DATABASE_URL=${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/chophien}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
export MEDIA_DIR=${MEDIA_DIR:-$ROOT/instance/media}
export PROXY_COUNT=1 LOG_FORMAT=${LOG_FORMAT:-json}
export PROMETHEUS_MULTIPROC_DIR=$RUN/metrics
export FLASK_APP=wsgi.py

command -v nginx >/dev/null || { echo "installing nginx"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
mkdir -p "$RUN" "$MEDIA_DIR"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

db_name=${DATABASE_URL##*/}
psql_url=${DATABASE_URL/postgresql+psycopg:/postgresql:}
admin_url=${psql_url%/*}/postgres
psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname='$db_name'" | grep -q 1 \
  || psql "$admin_url" -qc "CREATE DATABASE \"$db_name\""
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo

# Our own live video: Janus on localhost (deploy/janus.sh makes its secrets once in instance/janus.env).
# VIDEO=0 serves without it (stream links only).
if [ "${VIDEO:-1}" = "1" ]; then
  JANUS_RUN_DIR=$RUN/janus ./deploy/janus.sh --daemon
  set -a; . "${JANUS_ENV_FILE:-$ROOT/instance/janus.env}"; set +a
  export JANUS_URL=${JANUS_URL:-http://127.0.0.1:${JANUS_HTTP_PORT:-8088}/janus}
  export JANUS_ADMIN_URL=${JANUS_ADMIN_URL:-http://127.0.0.1:${JANUS_ADMIN_PORT:-7088}/admin}
fi

pids=()
cleanup() {
  echo "stopping"
  [ -f "$RUN/nginx.pid" ] && kill "$(cat "$RUN/nginx.pid")" 2>/dev/null || true
  [ -f "$RUN/janus/janus.pid" ] && kill "$(cat "$RUN/janus/janus.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

upstreams=""
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((FIRST_PORT + i))
  BIND=127.0.0.1:$port .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app > "$RUN/gunicorn-$port.log" 2>&1 &
  pids+=($!)
  upstreams+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
done

sed -e "s#@PORT@#$PORT#g" -e "s#@ROOT@#$ROOT#g" -e "s#@MEDIA@#$MEDIA_DIR#g" -e "s#@RUN@#$RUN#g" \
  deploy/nginx.conf.template | awk -v ups="$upstreams" '{ if ($0 ~ /^@UPSTREAMS@$/) printf "%s", ups; else print }' \
  > "$RUN/nginx.conf"
nginx -t -c "$RUN/nginx.conf" -p "$RUN" 2>&1 | grep -v "^nginx: the configuration file" || true
nginx -c "$RUN/nginx.conf" -p "$RUN"

for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
echo "Chợ Phiên (production-like): http://127.0.0.1:$PORT  — $PROCESSES gunicorn gevent processes, PostgreSQL, Redis"
echo "logs: $RUN/*.log   metrics: http://127.0.0.1:$PORT/metrics"
wait "${pids[@]}"
