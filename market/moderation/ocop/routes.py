"""The OCOP tab, ``/staff/ocop``: the claims of her communes to check (never verified, changed since, or expired) and
the verified ones by expiry. Verifying and refusing a claim are done from the listing's page (``listings.routes``).
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from market.moderation import bp
from market.moderation.ocop import service as ocop
from market.moderation.scope import communes_in_scope
from market.moderation.views import commune_arg


@bp.get("/ocop", endpoint="ocop")
def ocop_queue():
    commune_id = commune_arg()
    to_check, verified = ocop.claims(current_user, commune_id)
    return render_template(
        "moderation/ocop.html",
        to_check=to_check,
        verified=verified,
        communes=communes_in_scope(current_user),
        commune_id=commune_id,
    )
