import pytest

from market.config import ConfigError, load_config


def test_defaults_run_embedded(tmp_path):
    cfg = load_config(tmp_path, env={})
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert str(tmp_path) in cfg["SQLALCHEMY_DATABASE_URI"]
    assert cfg["REDIS_URL"] is None
    assert cfg["STRIPE_SECRET_KEY"] is None
    assert cfg["RATELIMIT_STORAGE_URI"] == "memory://"


def test_secret_key_generated_once_and_kept(tmp_path):
    first = load_config(tmp_path, env={})["SECRET_KEY"]
    second = load_config(tmp_path, env={})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_get_the_psycopg_driver(tmp_path):
    cfg = load_config(tmp_path, env={"DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "x" * 20})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"SITE_URL": "chophien.vn"}, "SITE_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "pk_test_123"}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "sk_test_123"}, "STRIPE_WEBHOOK_SECRET"),
        ({"HOLD_MINUTES": "soon"}, "HOLD_MINUTES"),
        ({"HOLD_MINUTES": "0"}, "HOLD_MINUTES"),
        ({"RATELIMIT_ENABLED": "maybe"}, "RATELIMIT_ENABLED"),
    ],
)
def test_wrong_values_fail_at_start_naming_the_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(tmp_path, env={"SECRET_KEY": "k" * 20, **env})


def test_create_app_refuses_a_wrong_value(tmp_path, monkeypatch):
    from market import create_app

    monkeypatch.setenv("REDIS_URL", "ftp://nope")
    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app({"SECRET_KEY": "k" * 20, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_socket_origins_follow_site_url(tmp_path):
    assert load_config(tmp_path, env={})["SOCKETIO_CORS_ORIGINS"] is None  # same-origin check only
    cfg = load_config(tmp_path, env={"SITE_URL": "https://chophien.vn/"})
    assert cfg["SOCKETIO_CORS_ORIGINS"] == ["https://chophien.vn"]
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"]


def test_readme_documents_every_setting():
    """The README's configuration table names every variable config.py reads (and HOST/PORT of wsgi.py)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = (root / "market" / "config.py").read_text() + (root / "wsgi.py").read_text()
    names = set(re.findall(r'(?:env|environ)\.get\("([A-Z_]+)"', source))
    names |= set(re.findall(r'_(?:int|bool)\(env, "([A-Z_]+)"', source))
    assert {"DATABASE_URL", "LIVE_COALESCE_MS", "HOST", "PORT"} <= names
    readme = (root / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert not sorted(n for n in names if f"`{n}`" not in table)
