"""flask seed-demo, the staff part: a listing in the review queue, an OCOP claim to verify and a word in Ea
Knuếc's chat filter, for the demo's staff member of Ea Knuếc; safe to run twice."""

import sqlalchemy as sa

from market.accounts.models import User
from market.extensions import db
from market.moderation import seed as moderation_seed
from market.moderation.listings import service as listings
from market.moderation.models import ChatFilterWord
from market.moderation.ocop import service as ocop


def test_the_demo_gives_ea_knuec_staff_work_to_do(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(sa.select(User).where(User.phone == "+84902000001"))
    pending = db.session.scalars(listings.pending(staff)).all()
    assert [p.title for p in pending] == ["Sầu riêng Ri6 loại 2 (trái nhỏ)"] and len(pending[0].photos) == 2
    to_check, _verified = ocop.claims(staff)
    assert [(p.title, p.ocop_stars) for p in to_check] == [("Sầu riêng Monthong", 4)]
    words = db.session.scalars(sa.select(ChatFilterWord.word)).all()
    assert words == ["kiếm tiền online"]
    counts = (len(pending), db.session.scalar(sa.select(sa.func.count(ChatFilterWord.id))))
    moderation_seed.seed()
    db.session.flush()
    assert counts == (
        len(db.session.scalars(listings.pending(staff)).all()),
        db.session.scalar(sa.select(sa.func.count(ChatFilterWord.id))),
    )
