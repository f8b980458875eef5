import click
from flask import Flask

from market.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("expire-holds")
    def expire_holds_command() -> None:
        """Expire unpaid pending orders whose hold ran out, and cancel weighed orders whose buyer did not answer
        in time, giving their stock back."""
        from market.orders.service import expire_holds
        from market.orders.weights import expire_unanswered

        total = 0
        while True:
            n = expire_holds() + expire_unanswered()
            db.session.commit()
            total += n
            if n == 0:
                break
        from market.orders.service import run_hold_tasks

        reminded = run_hold_tasks()
        db.session.commit()
        click.echo(f"{total} order(s) expired." + (f" {reminded} buyer(s) reminded." if reminded else ""))
