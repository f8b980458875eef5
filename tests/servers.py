"""Real server processes for end-to-end and multi-process tests.

`ServerDB` prepares a fresh database (SQLite file or a PostgreSQL database of its own) migrated and seeded
through the real CLI (once per test process, then copied); `start_server` runs `python wsgi.py` (gevent, like
`make run`) or, with ``gunicorn=True``, gunicorn with deploy/gunicorn.conf.py (production) on a free port and
waits for /healthz. Everything is torn down by the caller (`Server.stop`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


def recreate_pg_database(url: str, template: str | None = None) -> None:
    import psycopg

    admin, name = pg_admin_url(url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def ensure_pg_database(url: str) -> None:
    """Create the database of ``url`` when it is missing (an xdist worker's own, tests/conftest.py)."""
    import psycopg

    admin, name = pg_admin_url(url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg_database(url: str) -> None:
    import psycopg

    admin, name = pg_admin_url(url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _base_env(url: str, tmp_path: Path) -> dict:
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
    return env


def _run_flask(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class _Template:
    """A database migrated (and seeded) once per test process, copied for each ServerDB: the migrations and the
    demo seed cost ~16 s of CPU per database, and seven fixtures need one."""

    url: str
    media: Path


_templates: dict[tuple[str, bool], _Template] = {}


def _template(postgres_url: str | None, seed: bool) -> _Template:
    key = (postgres_url.rsplit("/", 1)[0] if postgres_url else "sqlite", seed)
    if key in _templates:
        return _templates[key]
    home = Path(tempfile.mkdtemp(prefix="chophien-template-"))
    atexit.register(shutil.rmtree, home, True)
    if postgres_url:
        name = f"chophien_tmpl_{os.getpid()}_{'seed' if seed else 'bare'}"
        url = postgres_url.rsplit("/", 1)[0] + "/" + name
        recreate_pg_database(url)
        atexit.register(drop_pg_database, url)
    else:
        url = f"sqlite:///{home / 'template.sqlite3'}"
    env = _base_env(url, home)
    _run_flask(env, "db", "upgrade")
    if seed:
        _run_flask(env, "seed-demo")
    (home / "media").mkdir(exist_ok=True)
    _templates[key] = _Template(url=url, media=home / "media")
    return _templates[key]


@dataclass
class ServerDB:
    """A database for real server processes, created fresh, migrated and seeded with the demo."""

    url: str
    env: dict = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        tmp_path: Path,
        postgres_url: str | None = None,
        suffix: str = "srv",
        seed: bool = True,
        extra_env: dict | None = None,
    ) -> ServerDB:
        """A copy of this process's template (migrated, and seeded unless ``seed=False``): a PostgreSQL
        database made with ``CREATE DATABASE … TEMPLATE``, or a copy of the SQLite file, with the demo's photos."""
        template = _template(postgres_url, seed)
        if postgres_url:
            url = postgres_url.rsplit("/", 1)[0] + "/" + postgres_url.rsplit("/", 1)[1].split("?")[0] + "_" + suffix
            recreate_pg_database(url, template=template.url.rsplit("/", 1)[1])
        else:
            url = f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
            shutil.copyfile(template.url.removeprefix("sqlite:///"), tmp_path / f"{suffix}.sqlite3")
        shutil.copytree(template.media, tmp_path / "media", dirs_exist_ok=True)
        env = _base_env(url, tmp_path)
        env.update(extra_env or {})
        return cls(url=url, env=env)

    def flask(self, *args: str, env: dict | None = None) -> str:
        return _run_flask({**self.env, **(env or {})}, *args)


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


def start_server(
    db: ServerDB, tmp_path: Path, env: dict | None = None, name: str = "server", gunicorn: bool = False
) -> Server:
    port = free_port()
    log_path = tmp_path / f"{name}-{port}.log"
    server_env = {
        **db.env,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "BIND": f"127.0.0.1:{port}",  # gunicorn's, in deploy/gunicorn.conf.py
        **(env or {}),
    }
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    command = [PYTHON, str(ROOT / "wsgi.py")]
    if gunicorn:
        command = [str(Path(PYTHON).parent / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"), "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a cold start is ~3 s; a loaded 2-core CI machine has taken over 30
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
    raise RuntimeError(f"server did not answer in 90 s:\n{log_path.read_text()}")


# ---- private services a test may stop and start (never the shared ones) -----------------------------------


def _wait_port(port: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class RedisServer:
    """A private ``redis-server`` on a free port, its files in a temp dir: a test may kill and restart it."""

    def __init__(self, tmp_path: Path, binary: str = "redis-server"):
        import shutil

        self.binary = shutil.which(binary)
        self.dir = tmp_path / f"redis-{os.getpid()}-{free_port()}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def available(self) -> bool:
        return self.binary is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        assert self.binary, "redis-server is not installed"
        log = open(self.dir / "redis.log", "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if not _wait_port(self.port):
            raise RuntimeError(f"redis-server did not start on {self.port}")
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.kill()


class PostgresCluster:
    """A private PostgreSQL cluster (initdb in a temp dir, its own port and socket dir) a test may restart.

    Run as the ``postgres`` user when the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self):
        import glob
        import tempfile

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        self.bin = Path(found[-1]).parent if found else None
        self.dir = Path(tempfile.mkdtemp(prefix="chophien-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        self.started = False

    @property
    def available(self) -> bool:
        return self.bin is not None and (self.bin / "initdb").exists()

    def url(self, name: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 60) -> str:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def init(self) -> PostgresCluster:
        if self.as_postgres:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C.UTF-8",
        )
        return self

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )

    def start(self) -> PostgresCluster:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.dir / "pg.log"), "-w", "start")
        self.started = True
        return self

    def restart(self) -> None:
        """Fast restart: every connection is cut (as in a crash or a failover), then the server comes back."""
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            self._options(),
            "-l",
            str(self.dir / "pg.log"),
            "-w",
            "-m",
            "fast",
            "restart",
        )

    def stop(self) -> None:
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
            self.started = False

    def remove(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def copy_database(self, source_url: str, name: str) -> str:
        """Create ``name`` here as a copy of the database at ``source_url`` (pg_dump | psql); returns its URL."""
        src = source_url.replace("postgresql+psycopg://", "postgresql://")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        dump = subprocess.run(
            [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", src],
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout
        load = subprocess.run(
            [
                str(self.bin / "psql"),
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                name,
            ],
            input=dump,
            capture_output=True,
            timeout=120,
        )
        if load.returncode != 0:
            raise RuntimeError(f"loading the copy failed: {load.stderr.decode(errors='replace')[-2000:]}")
        return self.url(name)
