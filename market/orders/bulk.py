"""Writing many new orders at once, as plain rows: the bulk side of ``service.order_rows``.

Live order merging settles a few hundred orders in one transaction; building and flushing an ORM object
for each would cost more than the orders themselves. These writers take the rows ``order_rows`` describes
and insert them as they are (COPY on PostgreSQL, a multi-row INSERT on SQLite), take back the ones that did
not get their units, and find earlier orders by idempotency key for a whole batch in one query.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from market.extensions import db
from market.orders.models import Order, OrderEvent, OrderItem
from market.orders.service import OrderRows


def among(column, values) -> sa.ColumnElement:
    """``column IN values`` for a batch: on PostgreSQL one array parameter (``= ANY``), so the statement's text
    is the same for every batch (cached, prepared) and the driver does not parse hundreds of placeholders."""
    values = sorted(set(values))
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def order_brief(order_id: int, code: str, status: str, qty: int, total_vnd: int) -> dict:
    return {
        "id": order_id,
        "code": code,
        "status": str(status),
        "qty": qty,
        "total_vnd": total_vnd,
        "url": f"/orders/{order_id}",
    }


def orders_by_key(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    """The orders (as ``order_brief``) that these (buyer, idempotency key) pairs already made."""
    if not pairs:
        return {}
    buyers = {b for b, _k in pairs}
    keys = {k for _b, k in pairs}
    rows = db.session.execute(
        sa.select(
            Order.id,
            Order.code,
            Order.status,
            Order.total_vnd,
            Order.buyer_id,
            Order.idempotency_key,
            sa.func.coalesce(sa.func.sum(OrderItem.qty), 0),
        )
        .join(OrderItem, OrderItem.order_id == Order.id, isouter=True)
        .where(among(Order.buyer_id, buyers), among(Order.idempotency_key, keys))
        .group_by(Order.id, Order.code, Order.status, Order.total_vnd, Order.buyer_id, Order.idempotency_key)
    ).all()
    return {(r[4], r[5]): order_brief(r[0], r[1], r[2], int(r[6]), r[3]) for r in rows if (r[4], r[5]) in pairs}


def _columns(table, rows: list[dict], skip: tuple[str, ...] = ("id",)) -> tuple[list[str], list[tuple]]:
    """The table's columns (but ``skip``) and each row's values in that order; a column a row leaves out
    takes its Python-side default (a bulk INSERT or COPY knows none). Values are plain (``order_rows``)."""
    keys = [c.key for c in table.columns if c.key not in skip]
    defaults = {c.key: c.default for c in table.columns if c.default is not None and not c.primary_key}
    values = []
    for row in rows:
        for k in keys:
            if k not in row:
                default = defaults.get(k)
                row[k] = None if default is None else (default.arg(None) if default.is_callable else default.arg)
        values.append(tuple(row[k] for k in keys))
    return keys, values


def insert_orders(orders: list[OrderRows]) -> list[tuple[int, dict]]:
    """Write many new orders (their lines and first events too) at once, as plain rows; (id, order row) each.

    PostgreSQL: the orders' ids drawn from the sequence in one query, then one COPY per table (the fastest bulk
    path: no statement to parse per row, no ORM object). SQLite: one multi-row INSERT per table.
    """
    if not orders:
        return []
    order_t, item_t, event_t = Order.__table__, OrderItem.__table__, OrderEvent.__table__
    heads = [o.order for o in orders]
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        ids = (
            db.session.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, :n)"),
                {"n": len(orders)},
            )
            .scalars()
            .all()
        )
    else:
        keys, values = _columns(order_t, heads)
        ids = (
            db.session.execute(
                order_t.insert().returning(order_t.c.id, sort_by_parameter_order=True),
                [dict(zip(keys, v, strict=True)) for v in values],
            )
            .scalars()
            .all()
        )
    items, events = [], []
    for o, pk in zip(orders, ids, strict=True):
        o.order["id"] = pk
        for item in o.items:
            item["order_id"] = pk
            items.append(item)
        for event in o.events:
            event["order_id"] = pk
            events.append(event)
    if postgres:
        import psycopg

        raw = db.session.connection().connection.dbapi_connection  # the same transaction, psycopg's own COPY
        try:
            with raw.cursor() as cursor:
                for table, rows, skip in ((order_t, heads, ()), (item_t, items, ("id",)), (event_t, events, ("id",))):
                    keys, values = _columns(table, rows, skip)
                    columns = ", ".join(f'"{table.c[k].name}"' for k in keys)
                    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                        for value in values:
                            copy.write_row(value)
        except psycopg.Error as exc:  # the raw driver's error, as SQLAlchemy would have raised it (IntegrityError …)
            raise sa.exc.DBAPIError.instance("COPY orders", None, exc, psycopg.Error) from exc
    else:
        for table, rows in ((item_t, items), (event_t, events)):
            keys, values = _columns(table, rows)
            db.session.execute(table.insert(), [dict(zip(keys, v, strict=True)) for v in values])
    return list(zip(ids, heads, strict=True))


def delete_orders(order_ids: list[int]) -> None:
    """Take back orders this transaction has just written and that did not get their units."""
    if not order_ids:
        return
    for table, column in (
        (OrderEvent.__table__, "order_id"),
        (OrderItem.__table__, "order_id"),
        (Order.__table__, "id"),
    ):
        db.session.execute(sa.delete(table).where(among(table.c[column], order_ids)))
