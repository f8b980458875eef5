"""The one entry point for servers.

`gunicorn -k gevent wsgi:app` (production: see deploy/) or `python wsgi.py` (what `make run` starts: one
gevent process that serves pages and websockets on http://127.0.0.1:5000).
"""

if __name__ == "__main__":
    # Patch before anything imports socket or threading, so database and Redis calls yield to other sockets.
    from gevent import monkey

    monkey.patch_all()

import os  # noqa: E402

from market import create_app  # noqa: E402
from market.collector import tune_for_serving  # noqa: E402

app = create_app()
tune_for_serving()  # thousands of sockets: fewer, larger collections (market/collector.py)

if __name__ == "__main__":
    from market.extensions import socketio

    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f" * Chợ Phiên on http://{host}:{port}  (async mode: {socketio.server.async_mode})", flush=True)
    socketio.run(app, host=host, port=port, debug=False, use_reloader=False, log_output=False)
