"""Prometheus metrics: requests, sockets per process, orders placed, holds expired, broadcast lag.

With several gunicorn processes set PROMETHEUS_MULTIPROC_DIR (``make serve`` does): every process writes
its samples there and ``/metrics`` on any of them reports all, sockets labelled by process id.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prom_multiprocess

REQUESTS = Counter("chophien_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
REQUEST_SECONDS = Histogram(
    "chophien_http_request_seconds",
    "HTTP request duration",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SOCKETS = Gauge(
    "chophien_sockets_connected", "Socket.IO connections on this process", ["namespace"], multiprocess_mode="livesum"
)
SOCKETS_PER_PROCESS = Gauge(
    "chophien_sockets_connected_per_process",
    "Socket.IO connections per process",
    ["namespace"],
    multiprocess_mode="liveall",
)
ORDERS_PLACED = Counter("chophien_orders_placed_total", "Orders placed", ["origin"])
ORDER_TRANSITIONS = Counter("chophien_order_transitions_total", "Order status changes", ["to_status"])
CONFLICT_RETRIES = Counter(
    "chophien_db_conflict_retries_total",
    "Transactions run again after PostgreSQL aborted them (deadlock, serialization failure)",
)
HOLDS_EXPIRED = Counter("chophien_holds_expired_total", "Pending orders expired, stock returned")
BROADCAST_LAG = Histogram(
    "chophien_broadcast_lag_seconds",
    "Delay between a change and its coalesced broadcast to a live room",
    buckets=(0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5),
)

bp = Blueprint("metrics", __name__)


def socket_connected(namespace: str, delta: int = 1) -> None:
    SOCKETS.labels(namespace).inc(delta)
    SOCKETS_PER_PROCESS.labels(namespace).inc(delta)


@bp.get("/metrics")
def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def init_metrics(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.endpoint or "unknown"
        if endpoint != "metrics.metrics":
            REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
            started = g.get("metrics_started")
            if started is not None:
                REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        return response

    app.register_blueprint(bp)
