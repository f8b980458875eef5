"""Chợ Phiên: create_app wires configuration, extensions and the core, then each area through its ``init_app``."""

from __future__ import annotations

import importlib
import logging
import os

from flask import Flask

# The areas, lower layers first (docs/architecture.md, "Areas and their arrows"; ``ops`` is a core module). Each
# one's ``init_app`` registers its blueprints, fills the registries it fills (market/hooks.py), connects its signal
# receivers and adds its socket events and commands: importing a module registers nothing.
AREAS = (
    "ops",
    "accounts",
    "catalog",
    "notifications",
    "orders",
    "payments",
    "live",
    "shipping",
    "video",
    "brands",
    "coop",
    "moderation",
    "api",
)


def create_app(config: dict | None = None) -> Flask:
    from market.web import MarketFlask

    app = MarketFlask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=os.environ.get("MARKET_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    configure(app, config)
    register_extensions(app)  # Socket.IO's server first: the areas add their events to it
    register_errorhandlers(app)
    register_web(app)
    init_areas(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def init_areas(app: Flask) -> None:
    for name in AREAS:
        importlib.import_module(f"market.{name}").init_app(app)


def configure(app: Flask, overrides: dict | None) -> None:
    from market.config import load_config

    env = dict(os.environ)
    if overrides and "SECRET_KEY" in overrides:
        env["SECRET_KEY"] = overrides["SECRET_KEY"]  # tests: never write a key file
    app.config.from_mapping(load_config(app.instance_path, env))
    if overrides:
        app.config.from_mapping(overrides)
    from market.web import IdConverter, JSONProvider

    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.json = JSONProvider(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    from market.web import install_log_format, install_log_record_factory

    install_log_record_factory()
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    install_log_format(json_lines=os.environ.get("LOG_FORMAT") == "json")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


# Every area's models, imported so that Alembic and relationships see all tables.
SOCKET_MAX_PACKET = 2 * 1024 * 1024  # bytes
MODEL_MODULES = [
    "market.accounts.models",
    "market.catalog.models",
    "market.orders.models",
    "market.payments.models",
    "market.notifications.models",
    "market.moderation.models",
    "market.live.models",
    "market.brands.models",
    "market.coop.models",
    "market.shipping.models",
    "market.notifications.zns",
    "market.video.models",
]


def register_extensions(app: Flask) -> None:
    from market.accounts.auth import init_login
    from market.database import configure_sqlite, install_on_commit
    from market.extensions import babel, csrf, db, limiter, migrate, socketio
    from market.i18n import select_locale

    for module in MODEL_MODULES:
        importlib.import_module(module)
    db.init_app(app)
    install_on_commit()
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"), render_as_batch=True)
    csrf.init_app(app)
    from market.translations import catalogue_dirs

    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=";".join(str(d) for d in catalogue_dirs())
    )
    limiter.init_app(app)
    init_login(app)
    from market.socketqueue import make_manager

    manager = make_manager(app)  # with Redis every process shares every room, and survives Redis going away
    socketio.init_app(
        app,
        client_manager=manager,  # without Redis, this process's rooms only
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        manage_session=False,
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
        # Largest Socket.IO packet. Engine.IO's 1 MB default closed the socket of a client that sent a 1 MB chat
        # (no ack, nothing said); with room for 1 MB of text and the packet around it, the event handler refuses
        # it with a clear ack. Anything larger still closes the connection.
        max_http_buffer_size=SOCKET_MAX_PACKET,
        logger=False,
        engineio_logger=False,
    )


def register_errorhandlers(app: Flask) -> None:
    from market.errors import register_errorhandlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from market.accounts.service import format_phone
    from market.i18n import number, vnd, when

    app.jinja_env.filters.update(vnd=vnd, number=number, when=when, phone=format_phone)

    @app.context_processor
    def inject_globals():
        from flask import request

        from market.ui import nav_entries, slot_entries

        here = request.full_path.rstrip("?") if request else "/"
        return {
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "here": here,
            "nav_entries": nav_entries,
            "slot_entries": slot_entries,
        }


def register_web(app: Flask) -> None:
    from market.assets import init_assets
    from market.metrics import init_metrics
    from market.web import init_web

    init_web(app)
    init_metrics(app)
    init_assets(app)  # compressed text, content-hashed static files


def register_commands(app: Flask) -> None:
    """``seed-demo`` and ``create-staff`` (the areas add their own)."""
    from market.cli import register

    register(app)
