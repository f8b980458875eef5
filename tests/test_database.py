import pytest
import sqlalchemy as sa

from market.catalog.models import Product, ProductStatus, Unit
from market.database import StrEnumType, on_commit
from market.extensions import db
from market.orders.states import OrderStatus


def test_on_commit_runs_after_commit_only(app, make_commune):
    ran = []
    make_commune()
    on_commit(lambda: ran.append("rolled back"))
    db.session.rollback()
    make_commune()
    on_commit(lambda: ran.append("committed"))
    assert ran == []
    db.session.commit()
    assert ran == ["committed"]


def test_on_commit_inside_a_rolled_back_savepoint_is_dropped(app, make_commune):
    ran = []
    make_commune()
    on_commit(lambda: ran.append("outer"))
    try:
        with db.session.begin_nested():
            make_commune()
            on_commit(lambda: ran.append("inner"))
            raise ValueError
    except ValueError:
        pass
    db.session.commit()
    assert ran == ["outer"]


def test_on_commit_waits_for_the_outer_commit_when_a_savepoint_is_released(app, make_commune):
    """Releasing a savepoint fires SQLAlchemy's after_commit too; the callbacks must still wait."""
    ran = []
    with db.session.begin_nested():
        make_commune()
        on_commit(lambda: ran.append("inner"))
    assert ran == []
    with db.session.begin_nested():
        make_commune()
    assert ran == []
    db.session.rollback()
    db.session.commit()
    assert ran == []  # the outer transaction rolled back: the released savepoint's callback is dropped
    with db.session.begin_nested():
        make_commune()
        on_commit(lambda: ran.append("kept"))
    db.session.commit()
    assert ran == ["kept"]


# ---- StrEnumType: a status column loads its enum's members and stores their plain strings ---------------


@pytest.fixture
def statuses(app):
    """A table of one ``StrEnumType(OrderStatus)`` column, made inside the test's transaction."""
    table = sa.Table(
        "strenum_probe",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", StrEnumType(OrderStatus, 16)),
    )
    conn = db.session.connection()
    table.create(conn)
    return table, conn


def test_strenum_column_round_trips_members_and_plain_strings(statuses):
    table, conn = statuses
    conn.execute(table.insert(), [{"id": 1, "status": OrderStatus.PACKED}, {"id": 2, "status": "shipped"}])
    conn.execute(table.insert().values(id=3, status=None))
    loaded = conn.execute(sa.select(table.c.id, table.c.status).order_by(table.c.id)).all()
    assert loaded == [(1, OrderStatus.PACKED), (2, OrderStatus.SHIPPED), (3, None)]
    assert all(type(status) is OrderStatus for _id, status in loaded[:2])
    # stored as the bare value, so raw SQL and the migrations see the strings they always did
    assert conn.execute(sa.text("SELECT status FROM strenum_probe WHERE id = 1")).scalar_one() == "packed"
    # a plain string binds in comparisons and in UPDATE … SET
    conn.execute(table.update().where(table.c.status == "shipped").values(status="delivered"))
    assert conn.execute(sa.select(table.c.status).where(table.c.id == 2)).scalar_one() is OrderStatus.DELIVERED


def test_strenum_column_refuses_a_value_outside_its_enum(statuses):
    table, conn = statuses
    with pytest.raises(sa.exc.StatementError, match="'paid' is not a OrderStatus"):
        conn.execute(table.insert().values(id=1, status="paid"))


def test_a_model_status_given_as_a_string_loads_as_its_member(app, make_product):
    product = make_product(status="pending_review", unit="bag")
    db.session.expire(product)
    assert product.status is ProductStatus.PENDING_REVIEW and product.unit is Unit.BAG
    assert db.session.scalar(sa.select(Product.id).where(Product.status == "pending_review")) == product.id
    product.status = "no_such_status"
    with pytest.raises(sa.exc.StatementError, match="not a ProductStatus"):
        db.session.flush()
