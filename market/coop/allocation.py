"""Who sold what: the kilograms a lot has sold, allocated to its households first come, first served.

The rule. Contributions form a queue by the date they were brought (then by the order they were recorded);
sales form a queue by the time they were delivered (then by line). Each sale takes its kilograms from the
first contribution that still has some, then the next, and so on: the first household to bring its durian is
the first to be sold out, the way a co-op's shed is emptied. A sale that straddles two contributions is split,
and its money with it, in proportion to the grams (largest remainder: the đồng add up exactly).

Why first come, first served and not pro rata: households join during the season, and a sale already paid out
must never be taken back from one household and given to another. Under this rule only the contribution at the
head of the queue is partly sold; every earlier one is sold out and every later one untouched, so (with the
service's checks: no new contribution dated before one that has sold, no increase of one that later ones have
sold after) a change can never move kilograms that were allocated before.

Only grams that fit are allocated. Weighed fruit can be heavier than the estimate the stock was counted in, so
in theory the lot can sell more grams than it was given; those grams are returned as slices without a
contribution ("unallocated") for the KOL to correct, never pushed onto a household past what it brought.

Pure functions on plain values; the service reads the database and calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Share:
    """One contribution in the queue."""

    id: int
    contributed_on: date
    grams: int


@dataclass(frozen=True)
class Sale:
    """One delivered order line of the lot's product."""

    id: int
    at: datetime
    grams: int
    amount_vnd: int


@dataclass(frozen=True)
class Slice:
    """The part of one sale allocated to one contribution (``share_id`` None: beyond every contribution)."""

    share_id: int | None
    sale_id: int
    at: datetime
    grams: int
    amount_vnd: int


def queue(shares: Iterable[Share]) -> list[Share]:
    return sorted(shares, key=lambda s: (s.contributed_on, s.id))


def split_amount(amount: int, parts: Sequence[int]) -> list[int]:
    """``amount`` đồng split in proportion to ``parts`` (grams); the pieces add up to ``amount`` exactly."""
    total = sum(parts)
    if total <= 0:
        return [0] * len(parts)
    floors = [amount * p // total for p in parts]
    left = amount - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-((amount * parts[i]) % total), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def allocate(shares: Iterable[Share], sales: Iterable[Sale]) -> list[Slice]:
    """Every sale's grams, first come, first served over the contributions (see the module's docstring)."""
    ordered = queue(shares)
    left = [s.grams for s in ordered]
    head = 0
    slices: list[Slice] = []
    for sale in sorted(sales, key=lambda s: (s.at, s.id)):
        need = sale.grams
        parts: list[tuple[int | None, int]] = []
        while need > 0 and head < len(ordered):
            take = min(need, left[head])
            if take > 0:
                parts.append((ordered[head].id, take))
                left[head] -= take
                need -= take
            if left[head] == 0:
                head += 1
        if need > 0:
            parts.append((None, need))
        amounts = split_amount(sale.amount_vnd, [g for _sid, g in parts])
        slices += [Slice(sid, sale.id, sale.at, g, a) for (sid, g), a in zip(parts, amounts, strict=True)]
    return slices


def allocated_grams(slices: Iterable[Slice]) -> dict[int, int]:
    """Grams sold per contribution (contributions with nothing sold are absent)."""
    out: dict[int, int] = {}
    for s in slices:
        if s.share_id is not None:
            out[s.share_id] = out.get(s.share_id, 0) + s.grams
    return out


def unallocated_grams(slices: Iterable[Slice]) -> int:
    return sum(s.grams for s in slices if s.share_id is None)
