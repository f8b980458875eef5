from tests.orders.fixtures import buyer, fruit_shop, make_shop, place, shop  # noqa: F401
