#!/usr/bin/env bash
# Start Janus (the media server of the live video, docs/video.md) with the configuration in deploy/janus/.
#   deploy/janus.sh            foreground (Ctrl-C stops it)
#   deploy/janus.sh --daemon   in the background; its pid in $RUN/janus.pid, its log in $RUN/janus.log
# Secrets come from JANUS_API_SECRET and JANUS_ADMIN_SECRET; unset, they are made once and kept in
# instance/janus.env (mode 600), which the app reads too when it runs with `make serve`.
# JANUS_HTTP_PORT (8088), JANUS_ADMIN_PORT (7088), JANUS_RTP_PORTS (20000-40000), JANUS_STUN (host:port),
# JANUS_PUBLIC_IP (a 1:1 NAT's public address) shape the rest. JANUS_EVENT_LOOPS=N shares N media threads among
# all handles instead of one thread per handle (Janus's default): less CPU per viewer, but see docs/video.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN=${JANUS_RUN_DIR:-$ROOT/instance/janus}
ENV_FILE=${JANUS_ENV_FILE:-$ROOT/instance/janus.env}

if ! command -v janus >/dev/null; then
  echo "installing janus (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq janus >/dev/null
fi

if [ -z "${JANUS_API_SECRET:-}" ] || [ -z "${JANUS_ADMIN_SECRET:-}" ]; then
  if [ ! -f "$ENV_FILE" ]; then
    mkdir -p "$(dirname "$ENV_FILE")"
    umask 077
    printf 'JANUS_API_SECRET=%s\nJANUS_ADMIN_SECRET=%s\n' "$(head -c 24 /dev/urandom | base64 | tr -d '+/=')" \
      "$(head -c 24 /dev/urandom | base64 | tr -d '+/=')" > "$ENV_FILE"
  fi
  # shellcheck disable=SC1090
  set -a; . "$ENV_FILE"; set +a
fi
case "$JANUS_API_SECRET$JANUS_ADMIN_SECRET" in
  *[!A-Za-z0-9_.-]*) echo "JANUS_API_SECRET and JANUS_ADMIN_SECRET may hold letters, digits, _ . - only"; exit 2;;
esac

HTTP_PORT=${JANUS_HTTP_PORT:-8088}
ADMIN_PORT=${JANUS_ADMIN_PORT:-7088}
mkdir -p "$RUN/conf"
chmod 700 "$RUN"
stun=""; [ -n "${JANUS_STUN:-}" ] && stun="stun_server = \"${JANUS_STUN%:*}\"
	stun_port = ${JANUS_STUN##*:}"
nat=""; [ -n "${JANUS_PUBLIC_IP:-}" ] && nat="nat_1_1_mapping = \"$JANUS_PUBLIC_IP\""
case "${JANUS_EVENT_LOOPS:-}" in *[!0-9]*) echo "JANUS_EVENT_LOOPS is a number of threads"; exit 2;; esac
loops=""; [ -n "${JANUS_EVENT_LOOPS:-}" ] && loops="event_loops = $JANUS_EVENT_LOOPS"
for f in deploy/janus/*.jcfg; do
  sed -e "s#@CONFIGS@#$RUN/conf#g" -e "s#@API_SECRET@#$JANUS_API_SECRET#g" \
      -e "s#@ADMIN_SECRET@#$JANUS_ADMIN_SECRET#g" -e "s#@HTTP_PORT@#$HTTP_PORT#g" \
      -e "s#@ADMIN_PORT@#$ADMIN_PORT#g" -e "s#@BIND_IP@#${JANUS_BIND_IP:-127.0.0.1}#g" \
      -e "s#@RTP_PORTS@#${JANUS_RTP_PORTS:-20000-40000}#g" -e "s#@DEBUG_LEVEL@#${JANUS_DEBUG_LEVEL:-3}#g" \
      "$f" | awk -v stun="$stun" -v nat="$nat" -v loops="$loops" \
        '{ sub(/@STUN@/, stun); sub(/@NAT_1_1@/, nat); sub(/@EVENT_LOOPS@/, loops); print }' \
      > "$RUN/conf/$(basename "$f")"
done
chmod 600 "$RUN"/conf/*.jcfg

answer() { curl -sf -m 2 "http://127.0.0.1:$HTTP_PORT/janus/info" >/dev/null; }
if answer; then echo "a Janus already answers on 127.0.0.1:$HTTP_PORT"; exit 0; fi

if [ "${1:-}" = "--daemon" ]; then
  janus -F "$RUN/conf" -C "$RUN/conf/janus.jcfg" --daemon --pid-file="$RUN/janus.pid" --log-file="$RUN/janus.log" \
    --disable-stdout -o >/dev/null
  for _ in $(seq 1 50); do answer && break; sleep 0.1; done
  answer || { echo "Janus did not start; see $RUN/janus.log"; tail -20 "$RUN/janus.log"; exit 1; }
  echo "Janus: http://127.0.0.1:$HTTP_PORT/janus (admin :$ADMIN_PORT)  pid $(cat "$RUN/janus.pid")  log $RUN/janus.log"
else
  echo "Janus: http://127.0.0.1:$HTTP_PORT/janus (admin :$ADMIN_PORT); set JANUS_URL and the secrets of $ENV_FILE for the app"
  exec janus -F "$RUN/conf" -C "$RUN/conf/janus.jcfg" -o
fi
