"""Assisted mode: staff open a shop for a villager without a smartphone, with recorded consent."""

import pytest
import sqlalchemy as sa

from market.accounts.models import SellerProfile, SellerStatus, User
from market.accounts.service import authenticate
from market.extensions import db
from market.moderation.models import AssistedSeller, AuditEntry
from tests.conftest import login_as, post_form


def form(world, **over):
    data = {
        "display_name": "Bà H'Jih Niê",
        "phone": "0987 000 111",
        "shop_name": "Sầu riêng bà H'Jih",
        "commune_id": str(world.a.id),
        "story": "Vườn sầu riêng 20 năm.",
        "consent": "y",
    }
    data.update(over)
    return data


def test_staff_opens_a_shop_for_a_villager(app, client, world):
    login_as(client, world.staff)
    assert "Ea Knuếc" in client.get("/staff/assisted/new").get_data(as_text=True)
    resp = post_form(client, "/staff/assisted/new", form(world))
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.phone == "+84987000111"))
    profile = db.session.scalar(sa.select(SellerProfile).where(SellerProfile.user_id == user.id))
    assert profile.status == SellerStatus.APPROVED and profile.commune_id == world.a.id
    assert profile.reviewed_by_id == world.staff.id
    assisted = db.session.scalar(sa.select(AssistedSeller).where(AssistedSeller.user_id == user.id))
    assert assisted.helper_id == world.staff.id and assisted.helper_name == "Cán bộ Ea Knuếc"
    assert assisted.consent_at is not None
    # no password works for the account: the helper acts for it
    assert authenticate("0987000111", "") is None and authenticate("0987000111", "!assisted:") is None
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "seller.assisted_register"))
    assert entry.object_id == profile.id and entry.commune_id == world.a.id and entry.actor_id == world.staff.id
    assert entry.details["phone"] == "+84987000111" and entry.details["helper"] == "Cán bộ Ea Knuếc"
    # staff see who helped; so does the villager's shop page
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Do Cán bộ Ea Knuếc đăng ký" in page
    # and the page the helper lands on leads on to what they came to do (it offered nothing to do next)
    assert f'href="/staff/assisted/{profile.id}/listings/new"' in page and "Đăng sản phẩm giúp" in page
    assert f'href="/staff/orders/phone?shop={profile.id}"' in page
    villager = app.test_client()
    login_as(villager, user)
    assert "với sự hỗ trợ của Cán bộ Ea Knuếc" in villager.get("/sell/apply").get_data(as_text=True)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"consent": ""}, "Bà con phải đồng ý"),
        ({"phone": "12"}, "điện thoại"),
        ({"display_name": ""}, "Hãy nhập họ tên của bà con"),
        ({"shop_name": "s" * 10240}, "tối đa 80"),
        ({"commune_id": "999999"}, "Hãy chọn"),
    ],
)
def test_bad_assisted_forms_write_nothing(client, world, over, message):
    login_as(client, world.staff)
    resp = post_form(client, "/staff/assisted/new", form(world, **over))
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.phone == "+84987000111")) is None
    assert db.session.scalar(sa.select(sa.func.count(AssistedSeller.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_phone_that_already_has_an_account(client, world):
    login_as(client, world.staff)
    resp = post_form(client, "/staff/assisted/new", form(world, phone=world.buyer.phone))
    assert resp.status_code == 400 and "đã có tài khoản" in resp.get_data(as_text=True)


def test_staff_cannot_open_a_shop_in_another_commune(app, client, world):
    login_as(client, world.staff)
    resp = post_form(client, "/staff/assisted/new", form(world, commune_id=str(world.b.id)))
    assert resp.status_code == 400  # not among their choices
    from market.domain import NotFound
    from market.moderation.assisted.service import register_assisted_seller

    with pytest.raises(NotFound):  # nor through the service
        register_assisted_seller(
            world.staff, phone="0987000112", name="X", shop_name="Y", commune_id=world.b.id, story="", consent=True
        )
