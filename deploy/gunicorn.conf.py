"""gunicorn settings for one Chợ Phiên process (run several, one per port, behind the sticky proxy).

Socket.IO needs every request of one client to reach the same process, so each gunicorn runs ONE gevent
worker holding thousands of sockets; scale by starting more of them (deploy/serve.sh, the systemd unit).
"""

import os

worker_class = "gevent"
workers = 1
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
bind = os.environ.get("BIND", "127.0.0.1:5001")
timeout = 60
graceful_timeout = 20
keepalive = 30
accesslog = "-" if os.environ.get("ACCESS_LOG") == "1" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Socket.IO long-polling and websocket upgrades pass through the proxy; trust its forwarded headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    # psycopg notices gevent's monkey-patching and waits cooperatively; nothing else to set up.
    worker.log.info("Chợ Phiên worker ready on %s (pid %s)", bind, os.getpid())
