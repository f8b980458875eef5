"""The allocation rule, as properties: first come, first served by contribution date, never past a contribution."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from market.coop.allocation import Sale, Share, allocate, allocated_grams, queue, split_amount, unallocated_grams

DAY0 = date(2026, 5, 1)
T0 = datetime(2026, 6, 1, tzinfo=UTC)

shares_st = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 500_000)), min_size=0, max_size=12).map(
    lambda rows: [Share(i + 1, DAY0 + timedelta(days=d), g) for i, (d, g) in enumerate(rows)]
)
sales_st = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(1, 60_000), st.integers(0, 10_000_000)), min_size=0, max_size=30
).map(lambda rows: [Sale(i + 1, T0 + timedelta(minutes=m), g, a) for i, (m, g, a) in enumerate(rows)])


@settings(max_examples=150, deadline=None)
@given(shares_st, sales_st)
def test_properties_of_first_come_first_served(shares, sales):
    slices = allocate(shares, sales)
    sold = sum(s.grams for s in sales)
    capacity = sum(s.grams for s in shares)
    by_share = allocated_grams(slices)
    # every sold gram is somewhere, and the allocations are the sold kilograms (all of them while they fit)
    assert sum(s.grams for s in slices) == sold
    assert sum(by_share.values()) == min(sold, capacity)
    assert unallocated_grams(slices) == max(0, sold - capacity)
    # no household's contribution is ever exceeded
    for share in shares:
        assert by_share.get(share.id, 0) <= share.grams
    # the rule: a contribution gets something only when every earlier one (by date, then id) is sold out
    ordered = queue(shares)
    for i, share in enumerate(ordered):
        if by_share.get(share.id, 0):
            assert all(by_share.get(e.id, 0) == e.grams for e in ordered[:i])
    # … and grams beyond every contribution only once all are sold out
    if unallocated_grams(slices):
        assert all(by_share.get(s.id, 0) == s.grams for s in shares)
    # money: each sale's slices add up to exactly its amount, none negative
    for sale in sales:
        parts = [s for s in slices if s.sale_id == sale.id]
        assert sum(p.amount_vnd for p in parts) == sale.amount_vnd
        assert sum(p.grams for p in parts) == sale.grams
        assert all(p.amount_vnd >= 0 and p.grams > 0 for p in parts)


@settings(max_examples=100, deadline=None)
@given(shares_st, sales_st, st.integers(1, 30))
def test_later_sales_never_move_earlier_allocations(shares, sales, cut):
    """What was allocated when fewer sales were delivered stays allocated the same way (payouts never move)."""
    ordered_sales = sorted(sales, key=lambda s: (s.at, s.id))
    early = allocate(shares, ordered_sales[:cut])
    later = allocate(shares, ordered_sales)
    early_ids = {s.id for s in ordered_sales[:cut]}
    assert [s for s in later if s.sale_id in early_ids] == early


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=20))
def test_split_amount_adds_up_and_follows_the_weights(amount, parts):
    pieces = split_amount(amount, parts)
    total = sum(parts)
    if total == 0:
        assert pieces == [0] * len(parts)
        return
    assert sum(pieces) == amount
    for piece, part in zip(pieces, parts, strict=True):
        assert abs(piece - amount * part / total) < 1  # within one đồng of the exact share


def test_a_worked_example():
    """Two gardens, three deliveries: the first garden sells out, then the second takes over mid-order."""
    a, b = Share(1, date(2026, 5, 1), 10_000), Share(2, date(2026, 5, 3), 20_000)
    sales = [
        Sale(10, T0, 6_000, 510_000),
        Sale(11, T0 + timedelta(hours=1), 6_000, 510_000),
        Sale(12, T0 + timedelta(hours=2), 3_000, 255_000),
    ]
    slices = allocate([b, a], sales)  # the order the rows come in does not matter
    assert [(s.share_id, s.sale_id, s.grams, s.amount_vnd) for s in slices] == [
        (1, 10, 6_000, 510_000),
        (1, 11, 4_000, 340_000),
        (2, 11, 2_000, 170_000),
        (2, 12, 3_000, 255_000),
    ]
    assert allocated_grams(slices) == {1: 10_000, 2: 5_000}


def test_same_day_contributions_go_in_the_order_they_were_recorded():
    first, second = Share(7, DAY0, 1_000), Share(3, DAY0 + timedelta(days=1), 1_000)
    third = Share(9, DAY0, 1_000)
    slices = allocate([second, third, first], [Sale(1, T0, 2_500, 0)])
    assert allocated_grams(slices) == {7: 1_000, 9: 1_000, 3: 500}
