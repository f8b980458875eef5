"""Co-op lots: making one, the households and their contributions, and keeping the product's stock their sum.

Stock. The lot's product has ``contributed_g // unit_g`` units in all (``CoopLot.unit_g``: 1000 g for a product
sold by the kg, one piece's estimated weight for one sold by the piece). A contribution changes the lot's total
with one UPDATE … RETURNING (the row lock serialises two people editing the same lot) and the product's stock
by the difference in whole units, in the same transaction: an increase adds units at once; a decrease takes
them with the orders area's conditional UPDATE (``stock >= n``), so units held by open orders cannot be taken
away. Either both change or, in a savepoint, neither.

What counts as sold (``sales``): order lines of the lot's product in orders that were **delivered**; their
kilograms are the weighed ones (by weight) or the quantity in kg. Pending, confirmed, packed or shipped orders
hold stock but are not sold yet; cancelled, expired and refunded ones never count. A delivered order is final
in the state table, so what is sold only grows.

Changes never move kilograms already allocated (see allocation.py): a contribution can be reduced or removed
only down to what it has sold; a new one cannot be dated before the contribution now being sold from; one that
later contributions have sold after cannot grow (add a new contribution instead).
Functions flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from market.catalog.labels import unit_label
from market.catalog.lifecycle import create_listing
from market.catalog.listing_input import MAX_STOCK, clean_listing, is_checked, parse_price
from market.catalog.models import Product, Unit
from market.catalog.weight import format_kg, parse_kg
from market.coop.allocation import Sale, Share, Slice, allocate, allocated_grams, queue, unallocated_grams
from market.coop.models import CoopContribution, CoopHousehold, CoopLot
from market.domain import DomainError, FieldErrors, NotFound, parse_id
from market.extensions import db
from market.orders.models import Order, OrderItem
from market.orders.states import OrderStatus
from market.orders.stock import give_to_product, take_from_product
from market.text import clean_line

NAME_MAX = VILLAGE_MAX = 80
CONTRIBUTION_MIN_G = 100  # 0,1 kg
CONTRIBUTION_MAX_G = 100_000_000  # 100 tonnes from one household in one go is a typing slip
LOT_MAX_UNITS = MAX_STOCK
MAX_SHIPPING_PER_KG = 1_000_000
RULE = "fcfs"  # first come, first served by contribution date (allocation.py)


# ---- finding ---------------------------------------------------------------------------------------------


def lot_for_seller(user, lot_id: object) -> CoopLot:
    """The lot if it is the user's own shop's; anyone else's (or none) is a 404, so nobody learns it exists."""
    profile = user.seller_profile if user is not None and user.is_authenticated else None
    lot = db.session.get(CoopLot, parse_id(lot_id)) if parse_id(lot_id) else None
    if lot is None or profile is None or lot.seller_id != profile.id:
        raise NotFound(_("This co-op lot does not exist or is not yours."))
    return lot


def lots_of(profile) -> list[CoopLot]:
    return list(
        db.session.scalars(sa.select(CoopLot).where(CoopLot.seller_id == profile.id).order_by(CoopLot.id.desc()))
    )


def lot_of_product(product_id: int) -> CoopLot | None:
    return db.session.scalar(sa.select(CoopLot).where(CoopLot.product_id == product_id))


def household_of(lot: CoopLot, household_id: object) -> CoopHousehold:
    hh = db.session.get(CoopHousehold, parse_id(household_id)) if parse_id(household_id) else None
    if hh is None or hh.lot_id != lot.id:
        raise NotFound(_("This household is not in this lot."))
    return hh


def contribution_of(lot: CoopLot, contribution_id: object) -> CoopContribution:
    c = db.session.get(CoopContribution, parse_id(contribution_id)) if parse_id(contribution_id) else None
    if c is None or c.lot_id != lot.id:
        raise NotFound(_("This contribution is not in this lot."))
    return c


# ---- what was typed ------------------------------------------------------------------------------------


def parse_contribution_kg(raw, field: str = "kg") -> int:
    return parse_kg(raw, field, minimum_g=CONTRIBUTION_MIN_G, maximum_g=CONTRIBUTION_MAX_G)


def parse_day(raw, field: str = "contributed_on") -> date:
    if isinstance(raw, date):
        value = raw
    else:
        text = clean_line(raw if isinstance(raw, str) else "")
        if not text:
            return date.today()
        value = None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                value = datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
                break
            except ValueError:
                continue
        if value is None:
            raise DomainError("invalid", _("Enter a date such as 25/06/2026."), field=field)
    if value > date.today() + timedelta(days=1):
        raise DomainError("invalid", _("A contribution cannot be dated in the future."), field=field)
    if value < date(2000, 1, 1):
        raise DomainError("invalid", _("Enter a date such as 25/06/2026."), field=field)
    return value


def parse_shipping(raw) -> int:
    text = clean_line(str(raw) if raw is not None else "")
    if text in ("", "0"):
        return 0
    try:
        value = parse_price(text)
    except DomainError as err:
        raise DomainError("invalid", err.message, field="shipping_vnd_per_kg") from None
    if value > MAX_SHIPPING_PER_KG:
        raise DomainError(
            "invalid",
            _("At most %(max)s per kg.", max=f"{MAX_SHIPPING_PER_KG:,}".replace(",", ".")),
            field="shipping_vnd_per_kg",
        )
    return value


@dataclass(frozen=True)
class HouseholdInput:
    name: str
    village: str
    phone: str | None
    bank_bin: str | None
    account_number: str | None
    account_holder: str | None


def clean_household(raw) -> HouseholdInput:
    """Name and village required; phone optional; the bank account all three fields or none."""
    from market.accounts.service import normalize_phone
    from market.payments.banks import bank_by_bin
    from market.payments.vietqr import clean_account_number, clean_holder

    errors: list[DomainError] = []
    name, village = clean_line(raw.get("name")), clean_line(raw.get("village"))
    if not name:
        errors.append(DomainError("invalid", _("Enter the household's name."), field="name"))
    elif len(name) > NAME_MAX:
        errors.append(DomainError("invalid", _("At most %(max)d characters.", max=NAME_MAX), field="name"))
    if not village:
        errors.append(DomainError("invalid", _("Enter the village (thôn, buôn)."), field="village"))
    elif len(village) > VILLAGE_MAX:
        errors.append(DomainError("invalid", _("At most %(max)d characters.", max=VILLAGE_MAX), field="village"))
    phone = None
    if clean_line(raw.get("phone")):
        try:
            phone = normalize_phone(raw.get("phone"))
        except DomainError as err:
            errors.append(DomainError("invalid", err.message, field="phone"))
    bank_bin, account, holder = clean_line(raw.get("bank_bin")) or None, None, None
    if bank_bin is not None:
        if bank_by_bin(bank_bin) is None:
            errors.append(DomainError("invalid", _("Choose a bank from the list."), field="bank_bin"))
        for fn, key in ((clean_account_number, "account_number"), (clean_holder, "account_holder")):
            try:
                value = fn(raw.get(key))
            except DomainError as err:
                errors.append(err)
                continue
            if key == "account_number":
                account = value
            else:
                holder = value
    elif clean_line(raw.get("account_number")):
        errors.append(DomainError("invalid", _("Choose the bank of this account."), field="bank_bin"))
    if errors:
        raise FieldErrors(errors)
    return HouseholdInput(name, village, phone, bank_bin, account, holder)


# ---- the lot -------------------------------------------------------------------------------------------


def create_lot(profile, user, raw, photos) -> CoopLot:
    """A new listing (through the catalog, so it is reviewed like any other) and its lot, with no stock yet."""
    errors: list[DomainError] = []
    by_weight = is_checked(raw.get("sold_by_weight"))
    listing = {
        **{
            k: raw.get(k)
            for k in (
                "title",
                "description",
                "category",
                "origin",
                "harvest_date",
                "piece_weight",
                "price_per_kg",
                "weight_tolerance",
                "min_order_qty",
            )
        },
        "unit": raw.get("unit") if by_weight else Unit.KG,
        "price": raw.get("price_per_kg"),
        "sold_by_weight": "1" if by_weight else "",
        "stock": "0",
    }
    data = None
    try:
        data = clean_listing(listing)
    except FieldErrors as err:
        errors += [
            DomainError("invalid", e.message, field="price_per_kg" if e.field == "price" else e.field)
            for e in err.errors
        ]
    shipping = 0
    try:
        shipping = parse_shipping(raw.get("shipping_vnd_per_kg"))
    except DomainError as err:
        errors.append(err)
    if errors:
        raise FieldErrors(errors)
    product = create_listing(profile, data, photos, by=user, submit_now=bool(photos))
    lot = CoopLot(
        product_id=product.id,
        seller_id=profile.id,
        unit_g=data.piece_weight_g or 1000,
        contributed_g=0,
        shipping_vnd_per_kg=shipping,
    )
    db.session.add(lot)
    db.session.flush()
    return lot


def set_shipping(lot: CoopLot, raw) -> None:
    lot.shipping_vnd_per_kg = parse_shipping(raw)
    db.session.flush()


def lock_lot(lot: CoopLot) -> None:
    """Hold the lot's row until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers).

    Deliveries of the lot's product take the same lock (``on_delivered``), so a change checked against what has
    sold cannot race a delivery that would sell more from the same contribution.
    """
    db.session.execute(sa.select(CoopLot.id).where(CoopLot.id == lot.id).with_for_update())


def on_delivered(order, to_status=None, **_kw) -> None:
    """orders.signals.order_status_changed: a delivery sells from a lot; lock it like its changes do."""
    if to_status != OrderStatus.DELIVERED:
        return
    product_ids = {item.product_id for item in order.items}
    db.session.execute(
        sa.select(CoopLot.id).where(CoopLot.product_id.in_(product_ids)).order_by(CoopLot.id).with_for_update()
    )


def units_for(lot: CoopLot, grams: int) -> int:
    return grams // lot.unit_g


def _change_total(lot: CoopLot, delta_g: int) -> None:
    """Add (or take, when negative) grams to the lot and the matching whole units to the product's stock."""
    new_total = db.session.execute(
        sa.update(CoopLot)
        .where(CoopLot.id == lot.id, CoopLot.contributed_g + delta_g >= 0)
        .values(contributed_g=CoopLot.contributed_g + delta_g)
        .returning(CoopLot.contributed_g)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if new_total is None:
        raise DomainError("invalid", _("This lot changed meanwhile; reload the page."), status=409)
    db.session.expire(lot, ["contributed_g"])
    units = units_for(lot, new_total) - units_for(lot, new_total - delta_g)
    if units_for(lot, new_total) > LOT_MAX_UNITS:
        raise DomainError(
            "invalid",
            _("A lot can hold at most %(n)s units in all.", n=f"{LOT_MAX_UNITS:,}".replace(",", ".")),
            field="kg",
        )
    if units > 0:
        give_to_product(lot.product_id, units)
    elif units < 0 and not take_from_product(lot.product_id, -units):
        product = db.session.get(Product, lot.product_id)
        raise DomainError(
            "invalid",
            _(
                "Only %(n)s %(unit)s of this lot are free; the rest is held by orders or pinned in a live session and "
                "cannot be taken back. Wait until those orders are delivered or cancelled, or the live offer closes.",
                n=product.stock,
                unit=unit_label(product.unit),
            ),
            field="kg",
            status=409,
        )


# ---- households and contributions ----------------------------------------------------------------------


def add_household(lot: CoopLot, raw) -> CoopHousehold:
    """A household joins the lot with its first contribution (every field checked before anything is written)."""
    lock_lot(lot)
    errors: list[DomainError] = []
    data = grams = day = None
    try:
        data = clean_household(raw)
    except FieldErrors as err:
        errors += err.errors
    try:
        grams = parse_contribution_kg(raw.get("kg"))
    except DomainError as err:
        errors.append(err)
    try:
        day = parse_day(raw.get("contributed_on"))
        check_queue_date(lot, day)
    except DomainError as err:
        errors.append(err)
    if errors:
        raise FieldErrors(errors)
    with db.session.begin_nested():
        hh = CoopHousehold(
            lot_id=lot.id,
            name=data.name,
            village=data.village,
            phone=data.phone,
            bank_bin=data.bank_bin,
            account_number=data.account_number,
            account_holder=data.account_holder,
        )
        db.session.add(hh)
        db.session.flush()
        db.session.add(CoopContribution(lot_id=lot.id, household_id=hh.id, grams=grams, contributed_on=day))
        _change_total(lot, grams)
        db.session.flush()
    db.session.refresh(hh)
    return hh


def update_household(hh: CoopHousehold, raw) -> CoopHousehold:
    data = clean_household(raw)
    for key, value in data.__dict__.items():
        setattr(hh, key, value)
    db.session.flush()
    return hh


def add_contribution(hh: CoopHousehold, raw) -> CoopContribution:
    lock_lot(hh.lot)
    errors: list[DomainError] = []
    grams = day = None
    try:
        grams = parse_contribution_kg(raw.get("kg"))
    except DomainError as err:
        errors.append(err)
    try:
        day = parse_day(raw.get("contributed_on"))
        check_queue_date(hh.lot, day)
    except DomainError as err:
        errors.append(err)
    if errors:
        raise FieldErrors(errors)
    with db.session.begin_nested():
        c = CoopContribution(lot_id=hh.lot_id, household_id=hh.id, grams=grams, contributed_on=day)
        db.session.add(c)
        _change_total(hh.lot, grams)
        db.session.flush()
    db.session.expire(hh, ["contributions"])
    return c


def change_contribution(c: CoopContribution, raw) -> CoopContribution:
    """Correct a contribution's kilograms: never below what it has sold; up only while nothing after it sold."""
    grams = parse_contribution_kg(raw.get("kg"))
    lot = c.household.lot
    lock_lot(lot)
    state = lot_state(lot)
    sold = state.sold_by_share.get(c.id, 0)
    if grams < sold:
        raise DomainError(
            "invalid",
            _("%(kg)s of this contribution are already sold: it cannot be less.", kg=format_kg(sold)),
            field="kg",
            status=409,
        )
    if grams > c.grams and state.sold_after(c.id):
        raise DomainError(
            "invalid",
            _(
                "Sales were already allocated to households after this one, so this contribution cannot grow. Add the "
                "extra kilograms as a new contribution dated today."
            ),
            field="kg",
            status=409,
        )
    if grams != c.grams:
        with db.session.begin_nested():
            delta = grams - c.grams
            c.grams = grams
            db.session.flush()
            _change_total(lot, delta)
    return c


def remove_contribution(c: CoopContribution) -> None:
    lot = c.household.lot
    lock_lot(lot)
    sold = lot_state(lot).sold_by_share.get(c.id, 0)
    if sold:
        raise DomainError(
            "invalid",
            _(
                "%(kg)s of this contribution are already sold: it cannot be removed, only reduced to what is sold.",
                kg=format_kg(sold),
            ),
            status=409,
        )
    if len(c.household.contributions) == 1:
        raise DomainError(
            "invalid", _("This is the household's only contribution: remove the household instead."), status=409
        )
    with db.session.begin_nested():
        grams = c.grams
        db.session.delete(c)
        db.session.flush()
        _change_total(lot, -grams)
    db.session.expire(lot, ["households"])


def remove_household(hh: CoopHousehold) -> None:
    """Only a household that has sold nothing can leave (its kilograms leave the stock with it)."""
    lot = hh.lot
    lock_lot(lot)
    state = lot_state(lot)
    sold = sum(state.sold_by_share.get(c.id, 0) for c in hh.contributions)
    if sold:
        raise DomainError(
            "invalid",
            _(
                "%(name)s has already sold %(kg)s from this lot and must be paid for it: the "
                "household cannot be removed. You can reduce its kilograms to what is sold.",
                name=hh.name,
                kg=format_kg(sold),
            ),
            status=409,
        )
    with db.session.begin_nested():
        grams = hh.contributed_g
        db.session.delete(hh)
        db.session.flush()
        _change_total(lot, -grams)
    db.session.expire(lot, ["households"])


def check_queue_date(lot: CoopLot, day: date) -> None:
    """A new contribution joins the queue by its date: it may not jump ahead of one that has started selling."""
    head = lot_state(lot).head_date
    if head is not None and day < head:
        raise DomainError(
            "invalid",
            _(
                "Sales up to now come from contributions of %(date)s and earlier. Date this contribution %(date)s or "
                "later: an earlier date would move kilograms already sold to it.",
                date=head.strftime("%d/%m/%Y"),
            ),
            field="contributed_on",
        )


# ---- what has sold ---------------------------------------------------------------------------------------


def sales(lot: CoopLot) -> list[Sale]:
    """Delivered lines of the lot's product (see the module's docstring for what counts)."""
    rows = db.session.execute(
        sa.select(
            OrderItem.id,
            Order.status_changed_at,
            OrderItem.qty,
            OrderItem.est_weight_g,
            OrderItem.packed_weight_g,
            OrderItem.line_total_vnd,
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(OrderItem.product_id == lot.product_id, Order.status == OrderStatus.DELIVERED)
    )
    out = []
    for item_id, at, qty, est, packed, amount in rows:
        grams = packed if (est is not None and packed) else qty * (est or lot.unit_g)
        out.append(Sale(item_id, at, int(grams), int(amount)))
    return out


def shares(lot: CoopLot) -> list[Share]:
    rows = db.session.execute(
        sa.select(CoopContribution.id, CoopContribution.contributed_on, CoopContribution.grams).where(
            CoopContribution.lot_id == lot.id
        )
    )
    return [Share(cid, day, int(grams)) for cid, day, grams in rows]


@dataclass
class LotState:
    shares: list[Share]  # in queue order
    slices: list[Slice]
    sold_by_share: dict[int, int]
    unallocated_g: int

    @property
    def sold_g(self) -> int:
        return sum(s.grams for s in self.slices)

    @property
    def head_date(self) -> date | None:
        """The date of the last contribution that has sold anything (None: nothing sold yet)."""
        started = [s for s in self.shares if self.sold_by_share.get(s.id)]
        return started[-1].contributed_on if started else None

    def sold_after(self, share_id: int) -> bool:
        ids = [s.id for s in self.shares]
        return any(self.sold_by_share.get(i) for i in ids[ids.index(share_id) + 1 :]) if share_id in ids else False


def lot_state(lot: CoopLot) -> LotState:
    ordered = queue(shares(lot))
    slices = allocate(ordered, sales(lot))
    return LotState(ordered, slices, allocated_grams(slices), unallocated_grams(slices))


def explain_managed_stock(product: Product) -> str | None:
    """For the listing form (stock_managers.register_stock_manager): a lot's stock is its contributions."""
    if lot_of_product(product.id) is None:
        return None
    return _("The stock is the sum of the households' contributions: change it on the co-op lot's page.")
