"""Flask commands: seed-demo, create-staff."""

from __future__ import annotations

import importlib

import click
import sqlalchemy as sa
from flask import Flask

from market.extensions import db

# Each area's seeder, in dependency order; each is idempotent and returns extra demo logins.
SEEDERS = [
    "market.accounts.seed",
    "market.catalog.seed",
    "market.payments.seed",
    "market.orders.seed",
    "market.shipping.seed",
    "market.moderation.seed",
    "market.live.seed",
    "market.coop.seed",
    "market.brands.seed",
]


def _demo_lot_under_demo_brand() -> None:
    """The co-op lot of the demo brand's KOL ("Sầu riêng Ri6 — vụ 2026") is the brand's harvest too. Linked here,
    where every area is known: neither the co-op nor the brands area imports the other."""
    from market.brands.seed import add_product_to_demo_brand, demo_brand
    from market.catalog.models import Product, ProductStatus
    from market.coop.seed import demo_lot

    product_id = demo_lot()
    product = db.session.get(Product, product_id) if product_id else None
    if demo_brand() is not None and product is not None and product.status == ProductStatus.APPROVED:
        add_product_to_demo_brand(product)


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create (or complete) the demo communes, people and data. Safe to run again."""
        from market.accounts.seed import DEMO_PASSWORD

        logins: list[tuple[str, str, str]] = []
        for module_name in SEEDERS:
            logins += importlib.import_module(module_name).seed() or []
        _demo_lot_under_demo_brand()
        db.session.commit()
        click.echo(f"Demo ready. Every demo login uses the password: {DEMO_PASSWORD}")
        for role, phone, name in logins:
            click.echo(f"  {role:<26} {phone:<12} {name}")

    @app.cli.command("create-staff")
    @click.argument("phone")
    @click.option("--commune", "commune_slug", required=True, help="slug of the commune, e.g. ea-knuec")
    @click.option("--name", default=None, help="display name when the account is new")
    @click.option("--password", default=None, help="password when the account is new (asked if omitted)")
    def create_staff(phone: str, commune_slug: str, name: str | None, password: str | None) -> None:
        """Make PHONE a staff member of a commune (creating the account if needed)."""
        from market.accounts.models import Commune, User
        from market.accounts.service import normalize_phone, register_user
        from market.domain import DomainError

        try:
            e164 = normalize_phone(phone)
        except DomainError as err:
            raise click.ClickException(err.message) from None
        commune = db.session.scalar(sa.select(Commune).where(Commune.slug == commune_slug))
        if commune is None:
            raise click.ClickException(f"No commune with slug {commune_slug!r}")
        user = db.session.scalar(sa.select(User).where(User.phone == e164))
        if user is None:
            if not password:
                password = click.prompt("Password for the new account", hide_input=True, confirmation_prompt=True)
            try:
                user = register_user(e164, name or f"Cán bộ xã {commune.name}", password)
            except DomainError as err:
                raise click.ClickException(err.message) from None
        from market.moderation.admin.service import assign_staff as assign_audited

        try:
            assign_audited(user, commune, by=None, via="cli")  # written to the audit log, actor "CLI"
        except DomainError as err:
            db.session.rollback()
            if err.status != 409:
                raise click.ClickException(err.message) from None
        db.session.commit()
        click.echo(f"{user.display_name} ({user.phone}) is staff of {commune.name}.")
