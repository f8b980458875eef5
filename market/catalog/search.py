"""Finding listings: which ones buyers may see, and search by words typed without diacritics.

``search_text`` (and ``search_title``) hold the folded words of a listing, its shop, its commune and its category
in Vietnamese and English ("sau rieng durian"); ``refresh_search_text`` rebuilds them after a change. Every word
of a query must match (LIKE, wildcards escaped); PostgreSQL has a trigram index on ``search_text`` to speed it up.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from market.accounts.models import SellerProfile, SellerStatus
from market.catalog.models import Category, Product, ProductStatus
from market.extensions import db
from market.text import clean_line, fold

# Folded Vietnamese and English words of each category go into the search text: "sau rieng" finds durian.
_CATEGORY_WORDS: dict[str, str] = {
    Category.DURIAN: "sau rieng durian",
    Category.COFFEE: "ca phe coffee",
    Category.PEPPER: "ho tieu tieu pepper",
    Category.HONEY: "mat ong honey",
    Category.AVOCADO: "bo avocado",
    Category.MACADAMIA: "mac ca macadamia",
    Category.BROCADE: "tho cam det vai brocade textile",
    Category.HANDICRAFT: "thu cong my nghe handicraft",
    Category.OTHER: "",
}


def refresh_search_text(product: Product) -> None:
    """Fold what a buyer may type to find this listing (call after any change to it, its shop or commune)."""
    seller = product.seller
    commune = seller.commune if seller is not None else None
    parts = [
        product.title,
        product.description,
        product.origin,
        seller.shop_name if seller is not None else "",
        commune.name if commune is not None else "",
        commune.province if commune is not None else "",
    ]
    text = " ".join(fold(p) for p in parts if p)
    words = _CATEGORY_WORDS.get(product.category, "")
    product.search_text = " ".join(re.sub(r"\s+", " ", f"{text} {words}").split())
    product.search_title = fold(product.title)[:160]


def public_products() -> sa.Select[Product]:
    """Listings buyers may see: approved, of a shop that is open."""
    return (
        sa.select(Product)
        .join(SellerProfile, Product.seller_id == SellerProfile.id)
        .options(contains_eager(Product.seller))
        .where(Product.status == ProductStatus.APPROVED, SellerProfile.status == SellerStatus.APPROVED)
    )


def newest_first(stmt: sa.Select[Product]) -> sa.Select[Product]:
    return stmt.order_by(Product.approved_at.desc().nulls_last(), Product.id.desc())


def visible_product(product_id: int) -> Product | None:
    return db.session.scalar(public_products().where(Product.id == product_id))


MAX_TERMS = 8
MAX_TERM_LENGTH = 40


def search_terms(query: str | None) -> list[str]:
    """Folded words of a query: "SẦU RIÊNG  Ri6" → ["sau", "rieng", "ri6"] (at most 8, each ≤ 40 chars)."""
    folded = fold(clean_line(query or "")[:200])
    terms: list[str] = []
    for word in re.findall(r"\w+", folded):
        word = word[:MAX_TERM_LENGTH]
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(query: str | None, commune_id: int | None = None, category: str | None = None) -> sa.Select[Product]:
    """Public listings matching every word of ``query`` in title, description, shop or commune, without
    diacritics or case. Ranked: the whole phrase in the title, then more words in the title, then the newest.
    Works with LIKE on both databases (PostgreSQL has a trigram index on search_text to speed it up)."""
    stmt = public_products()
    if commune_id is not None:
        stmt = stmt.where(SellerProfile.commune_id == commune_id)
    if category is not None:
        stmt = stmt.where(Product.category == category)
    terms = search_terms(query)
    if not terms:
        return newest_first(stmt)
    for term in terms:
        stmt = stmt.where(Product.search_text.like(_like(term), escape="\\"))
    phrase = " ".join(terms)
    score: sa.ColumnElement[int] = sa.case((Product.search_title.like(_like(phrase), escape="\\"), 10), else_=0)
    score += sa.case((Product.search_title.like(_like(phrase)[1:], escape="\\"), 5), else_=0)  # title starts so
    for term in terms:
        score += sa.case((Product.search_title.like(_like(term), escape="\\"), 2), else_=0)
    return stmt.order_by(score.desc(), Product.approved_at.desc().nulls_last(), Product.id.desc())
