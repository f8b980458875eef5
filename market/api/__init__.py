"""JSON API v1: one blueprint under /api/v1. The API depends on the areas: their JSON views are mounted here."""

from flask import Blueprint

from market.catalog import api as products
from market.catalog.helpers import PRODUCT_ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.add_url_rule("/products", view_func=products.list_products)
bp.add_url_rule(f"/products/{PRODUCT_ID}", view_func=products.get_product)

from market.api import openapi, routes  # noqa: E402,F401
