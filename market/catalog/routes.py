"""Public pages: home and communes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template

from market.accounts.models import Commune, SellerProfile, SellerStatus
from market.accounts.service import communes_in_order
from market.catalog import bp
from market.extensions import db


@bp.get("/")
def home():
    return render_template("catalog/home.html", communes=communes_in_order())


@bp.get("/c/<slug>")
def commune(slug: str):
    commune = db.session.scalar(sa.select(Commune).where(Commune.slug == slug)) or abort(404)
    shops = db.session.scalars(
        sa.select(SellerProfile)
        .where(SellerProfile.commune_id == commune.id, SellerProfile.status == SellerStatus.APPROVED)
        .order_by(SellerProfile.shop_name)
    ).all()
    return render_template("catalog/commune.html", commune=commune, shops=shops)
