"""`flask bench-buyers N --tokens-file PATH`: many real buyer accounts, fast, for load tests."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from market.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("bench-buyers")
    @click.argument("count", type=click.IntRange(1, 100_000))
    @click.option(
        "--tokens-file",
        type=click.Path(dir_okay=False, writable=True),
        required=True,
        help="where to write one API token a line",
    )
    @click.option(
        "--prefix", default="+8499", show_default=True, help="phone numbers are PREFIX followed by a 7-digit counter"
    )
    def bench_buyers(count: int, tokens_file: str, prefix: str) -> None:
        """Create COUNT buyer accounts (or reuse them) and write an API token for each, one a line.

        One password hash is computed once and shared (the password is random and thrown away), and the
        accounts are inserted in bulk, so thousands take seconds instead of an Argon2 hash each.
        """
        import secrets

        from market.accounts.models import User
        from market.accounts.passwords import hash_password
        from market.accounts.tokens import issue_token
        from market.database import utcnow

        if not prefix.startswith("+") or not prefix[1:].isdigit() or len(prefix) > 8:
            raise click.BadParameter("use a prefix such as +8499", param_hint="--prefix")
        phones = [f"{prefix}{i:07d}" for i in range(1, count + 1)]
        existing: dict[str, int] = {}
        for chunk in range(0, len(phones), 1000):
            part = phones[chunk : chunk + 1000]
            existing.update(db.session.execute(sa.select(User.phone, User.id).where(User.phone.in_(part))).all())
        missing = [p for p in phones if p not in existing]
        if missing:
            shared_hash = hash_password(secrets.token_urlsafe(24))
            now = utcnow()
            rows = [
                {
                    "phone": p,
                    "display_name": f"Khách thử {p[-5:]}",
                    "password_hash": shared_hash,
                    "locale": "vi",
                    "is_staff": False,
                    "is_admin": False,
                    "auth_version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in missing
            ]
            for chunk in range(0, len(rows), 1000):
                db.session.execute(sa.insert(User), rows[chunk : chunk + 1000])
        db.session.commit()
        users: list[User] = []
        for chunk in range(0, len(phones), 1000):
            part = phones[chunk : chunk + 1000]
            users += db.session.scalars(sa.select(User).where(User.phone.in_(part))).all()
        by_phone = {u.phone: u for u in users}
        with open(tokens_file, "w") as fh:
            for phone in phones:
                fh.write(issue_token(by_phone[phone]) + "\n")
        click.echo(f"{len(missing)} buyer(s) created, {count - len(missing)} reused; {count} token(s) in {tokens_file}")
