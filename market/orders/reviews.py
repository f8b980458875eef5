"""Ratings after delivery: one per order, 1 to 5 with a comment, averaged on the shop's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.domain import DomainError, ErrorCode, NotFound
from market.extensions import db
from market.orders.models import Order, Review
from market.orders.states import OrderStatus
from market.text import clean_text

if TYPE_CHECKING:
    from market.accounts.models import User

COMMENT_MAX = 1000


def review_of(order: Order) -> Review | None:
    return db.session.scalar(sa.select(Review).where(Review.order_id == order.id))


def can_review(order: Order, user: User | None) -> bool:
    return (
        user is not None
        and order.buyer_id == user.id
        and order.status == OrderStatus.DELIVERED
        and review_of(order) is None
    )


def submit(order: Order, user: User | None, rating: object, comment: object = "") -> Review:
    if user is None or order.buyer_id != user.id:
        raise NotFound(_("This order does not exist."))
    if order.status != OrderStatus.DELIVERED:
        raise DomainError(ErrorCode.INVALID, _("You can rate an order once it has been delivered."), status=409)
    if isinstance(rating, str) and rating.strip().isdecimal() and len(rating.strip()) <= 2:
        rating = int(rating)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(ErrorCode.INVALID, _("Choose 1 to 5 stars."), field="rating")
    text = clean_text(comment if isinstance(comment, str) else "")
    if len(text) > COMMENT_MAX:
        raise DomainError(ErrorCode.INVALID, _("At most %(max)d characters.", max=COMMENT_MAX), field="comment")
    if review_of(order) is not None:
        raise DomainError(ErrorCode.INVALID, _("You have already rated this order."), status=409)
    try:
        with db.session.begin_nested():
            review = Review(order_id=order.id, seller_id=order.seller_id, buyer_id=user.id, rating=rating, comment=text)
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        raise DomainError(ErrorCode.INVALID, _("You have already rated this order."), status=409) from None
    from market.orders.notify import reviewed

    reviewed(order, review)
    return review


@dataclass(frozen=True)
class ShopRating:
    average: float | None
    count: int

    @property
    def rounded(self) -> str:
        return "" if self.average is None else f"{self.average:.1f}"


def shop_rating(seller_id: int) -> ShopRating:
    avg, count = db.session.execute(
        sa.select(sa.func.avg(Review.rating), sa.func.count(Review.id)).where(Review.seller_id == seller_id)
    ).one()
    return ShopRating(float(avg) if avg is not None else None, int(count or 0))


def shop_reviews(seller_id: int, limit: int = 20) -> list[Review]:
    return list(
        db.session.scalars(
            sa.select(Review).where(Review.seller_id == seller_id).order_by(Review.id.desc()).limit(limit)
        )
    )
