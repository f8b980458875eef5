"""`python tests/services.py postgres URL` / `redis URL`: exit 0 when the service answers (used by make test)."""

import sys


def postgres(url: str) -> bool:
    import psycopg

    url = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception:
        return False


def redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


if __name__ == "__main__":
    kind, url = sys.argv[1], sys.argv[2]
    sys.exit(0 if (postgres(url) if kind == "postgres" else redis_up(url)) else 1)
