"""Real server processes for end-to-end and multi-process tests.

`ServerDB` prepares a fresh database (SQLite file or a PostgreSQL database of its own) migrated and seeded
through the real CLI; `start_server` runs `python wsgi.py` (gevent, like `make run`) on a free port and
waits for /healthz. Everything is torn down by the caller (`Server.stop`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_admin_url(url: str) -> tuple[str, str]:
    """(URL of the maintenance database, name of the database in ``url``)."""
    base, name = url.rsplit("/", 1)
    return base + "/postgres", name.split("?")[0]


def recreate_pg_database(url: str) -> None:
    import psycopg

    admin, name = pg_admin_url(url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class ServerDB:
    """A database for real server processes, created fresh, migrated and seeded with the demo."""

    url: str
    env: dict = field(default_factory=dict)

    @classmethod
    def create(cls, tmp_path: Path, postgres_url: str | None = None, suffix: str = "srv",
               seed: bool = True, extra_env: dict | None = None) -> ServerDB:
        if postgres_url:
            url = postgres_url.rsplit("/", 1)[0] + "/" + postgres_url.rsplit("/", 1)[1].split("?")[0] + "_" + suffix
            recreate_pg_database(url)
        else:
            url = f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "e2e-secret-key-0123456789abcdef",
            "MEDIA_DIR": str(tmp_path / "media"),
            "MARKET_INSTANCE_PATH": str(tmp_path / "instance"),
            "FLASK_APP": str(ROOT / "wsgi.py"),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            # Redis pub/sub ignores db numbers: one channel per test database keeps parallel runs apart.
            "SOCKETIO_CHANNEL": f"test-{url.rsplit('/', 1)[-1]}-{os.getpid()}",
        }
        env.pop("REDIS_URL", None)
        env.update(extra_env or {})
        db = cls(url=url, env=env)
        db.flask("db", "upgrade")
        if seed:
            db.flask("seed-demo")
        return db

    def flask(self, *args: str, env: dict | None = None) -> str:
        result = subprocess.run([PYTHON, "-m", "flask", *args], cwd=ROOT, env={**self.env, **(env or {})},
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(db: ServerDB, tmp_path: Path, env: dict | None = None, name: str = "server") -> Server:
    port = free_port()
    log_path = tmp_path / f"{name}-{port}.log"
    server_env = {**db.env, "PORT": str(port), "HOST": "127.0.0.1",
                  "SITE_URL": f"http://127.0.0.1:{port}", **(env or {})}
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([PYTHON, str(ROOT / "wsgi.py")], cwd=ROOT, env=server_env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return Server(url=url, process=process, log_path=log_path)
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not answer in 30 s:\n{log_path.read_text()}")
