import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("retry-refunds")
    def retry_refunds_command() -> None:
        """Ask Stripe again for card refunds (and card-hold captures or releases) asked for but not confirmed."""
        from market.payments.stripe.client import configured
        from market.payments.stripe.holds import retry_holds
        from market.payments.stripe.refunds import retry_refunds

        if not configured():
            click.echo("Stripe is not configured.")
            return
        click.echo(f"{retry_refunds()} refund(s) done.")
        click.echo(f"{retry_holds()} card hold(s) captured or released.")
