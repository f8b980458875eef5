from tests.orders.fixtures import buyer, make_shop, place, shop  # noqa: F401
