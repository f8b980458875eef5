"""Orders: statuses and transitions, stock holds, placing orders (cart and live use the same place_order)."""

from market.orders import stock  # noqa: F401 - registers the "product" stock source
