"""VietQR payloads against the known-good NAPAS vectors (CRC included), the order's QR, the shop's bank."""

import re

import pytest
import sqlalchemy as sa

from market.domain import DomainError
from market.extensions import db
from market.payments.banks import bank_by_bin, banks
from market.payments.models import ShopPaymentSettings
from market.payments.vietqr import (
    build_payload,
    clean_account_number,
    clean_holder,
    crc16_ccitt_false,
    parse_payload,
    qr_svg,
)
from tests.conftest import login_as, post_form

# /work/shared/data/vietqr_vectors.md: payloads from public code, each with a valid CRC-16/CCITT-FALSE.
VECTORS = [
    (
        "00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA5303704540719430005802VN62120808"
        "TT0000696304A8E5",
        dict(bank_bin="970436", account="1023456789", amount_vnd=1943000, memo="TT000069"),
    ),
    (
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813"
        "ung ho lu lut6304C15C",
        dict(bank_bin="970415", account="0011001932418", amount_vnd=120000, memo="ung ho lu lut"),
    ),
    (
        "00020101021238570010A000000727012700069704220113VQRQADAIJ55120208QRIBFTTA5303704540470005802VN62120808"
        "TL89 1006304E346",
        dict(bank_bin="970422", account="VQRQADAIJ5512", amount_vnd=7000, memo="TL89 100"),
    ),
    (
        "00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC530370454061800005802VN6234"
        "0107NPS68690819thanh toan don hang6304A203",
        dict(
            bank_bin="970403",
            account="9704031101234567",
            amount_vnd=180000,
            memo="thanh toan don hang",
            service="QRIBFTTC",
            bill_number="NPS6869",
        ),
    ),
]


@pytest.mark.parametrize("payload,fields", VECTORS)
def test_builder_reproduces_the_vectors(payload, fields):
    kwargs = {k: v for k, v in fields.items() if k in ("service", "bill_number")}
    built = build_payload(fields["bank_bin"], fields["account"], fields["amount_vnd"], fields["memo"], **kwargs)
    assert built == payload
    assert crc16_ccitt_false(payload[:-4]) == payload[-4:]


@pytest.mark.parametrize("payload,fields", VECTORS)
def test_parser_reads_the_vectors(payload, fields):
    parsed = parse_payload(payload)
    assert (parsed.bank_bin, parsed.account, parsed.amount_vnd, parsed.memo) == (
        fields["bank_bin"],
        fields["account"],
        fields["amount_vnd"],
        fields["memo"],
    )
    assert parsed.service == fields.get("service", "QRIBFTTA") and parsed.dynamic


def test_crc_check_value():
    assert crc16_ccitt_false("123456789") == "29B1"  # the catalogued check value of CRC-16/CCITT-FALSE


@pytest.mark.parametrize(
    "payload", [VECTORS[0][0][:-1] + "6", VECTORS[0][0].replace("1943000", "1943001"), "", "6304", "hello world"]
)
def test_parser_refuses_a_broken_payload(payload):
    with pytest.raises(ValueError):
        parse_payload(payload)


@pytest.mark.parametrize(
    "args",
    [
        ("97043", "1", 1, None),
        ("970436", "", 1, None),
        ("970436", "12-34", 1, None),
        ("970436", "1" * 20, 1, None),
        ("970436", "1", -5, None),
        ("970436", "1", 1.5, None),
        ("970436", "1", 1, "x" * 20),
        ("970436", "1", 1, "bad;memo"),
    ],
)
def test_builder_refuses_bad_input(args):
    with pytest.raises(ValueError):
        build_payload(*args)


def test_order_page_shows_a_scannable_payload(client, shop, buyer, place):
    order = place(buyer, shop.product, 2, method="vietqr")
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    payload = re.search(r'id="qr-payload"[^>]*value="([^"]+)"', html).group(1)
    parsed = parse_payload(payload)
    assert (parsed.bank_bin, parsed.account, parsed.amount_vnd, parsed.memo) == (
        "970436",
        "1023456789",
        158_000,
        order.code,
    )
    assert len(parsed.memo) <= 19
    assert "<svg" in html and "Vietcombank" in html and "TRAN VAN PHU" in html
    # the same payload through the JSON API
    from market.accounts.tokens import issue_token

    api = client.get(f"/api/v1/orders/{order.id}", headers={"Authorization": f"Bearer {issue_token(buyer)}"})
    assert api.json["order"]["payment"]["vietqr"]["payload"] == payload


def test_the_shop_sees_the_transfer_worded_for_the_shop(client, shop, buyer, place):
    """The seller's view of a transfer order: no "held for you" nor "scan with your banking app" (those are the
    buyer's words), and the payment attempts name the method in Vietnamese, not by its code ("vietqr")."""
    order = place(buyer, shop.product, 2, method="vietqr")
    login_as(client, shop.user)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Hàng được giữ cho đơn này đến" in html and "giữ cho bạn" not in html
    assert "Quét bằng ứng dụng ngân hàng" not in html and "Chỉ xác nhận đã nhận tiền" in html
    attempts = re.search(r'<details class="attempts">.*?</details>', html, re.S).group(0)
    assert "Chuyển khoản ngân hàng (VietQR)" in attempts and "<td>vietqr</td>" not in attempts
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Hàng được giữ cho bạn đến" in html and "Quét bằng ứng dụng ngân hàng" in html
    assert 'class="attempts"' not in html


def test_the_shop_sees_cash_on_delivery_worded_for_the_shop(client, make_shop, buyer, place):
    shop = make_shop("Vườn bơ", auto_confirm=False)
    order = place(buyer, shop.product, 1, method="cod")
    login_as(client, shop.user)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    html = html.replace("\xa0", " ")
    assert "Người mua trả 79.000 ₫ tiền mặt khi nhận hàng." in html and "đang chờ gian hàng nhận đơn" in html
    assert "Đang chờ gian hàng nhận đơn." not in html
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True).replace("\xa0", " ")
    assert "Trả 79.000 ₫ tiền mặt khi nhận hàng." in html


def test_svg_has_no_style_or_script():
    svg = str(qr_svg(VECTORS[0][0], "VietQR <b>x</b>"))
    assert svg.startswith("<svg") and "style" not in svg and "<script" not in svg and "<b>" not in svg


def test_bank_list():
    assert bank_by_bin("970436").short_name == "Vietcombank"
    assert len(banks()) >= 30 and len({b.bin for b in banks()}) == len(banks())
    assert all(re.fullmatch(r"\d{6}", b.bin) for b in banks())


@pytest.mark.parametrize(
    "raw,clean", [("Trần Văn Phú", "TRAN VAN PHU"), ("  h'lan  êban ", "HLAN EBAN"), ("ĐỖ THỊ ĐÀO", "DO THI DAO")]
)
def test_holder_names_as_banks_print_them(raw, clean):
    assert clean_holder(raw) == clean


def test_seller_sets_up_bank_transfer(client, make_seller, login):
    seller = make_seller(shop_name="Mật ong Nam Ka")
    login(seller)
    page = client.get("/sell/payments")
    assert page.status_code == 200 and "Vietcombank" in page.get_data(as_text=True)
    data = {
        "cod_enabled": "y",
        "bank_bin": "970422",
        "account_number": "0123 456.789",
        "account_holder": "Nguyễn Văn Nam",
    }
    preview = post_form(client, "/sell/payments", data, page="/sell/payments")  # shown before it is saved
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "MB" in html and "0123456789" in html and "NGUYEN VAN NAM" in html
    assert "<svg" in html and "1.000" in html
    assert db.session.scalar(sa.select(ShopPaymentSettings.bank_bin)) is None
    back = post_form(client, "/sell/payments", {**data, "edit": "1"}, page="/sell/payments")
    assert back.status_code == 200 and 'value="0123 456.789"' in back.get_data(as_text=True)
    resp = post_form(client, "/sell/payments", {**data, "confirm": "1"}, page="/sell/payments")
    assert resp.status_code == 302
    row = db.session.scalar(
        sa.select(ShopPaymentSettings).where(ShopPaymentSettings.seller_id == seller.seller_profile.id)
    )
    assert (row.bank_bin, row.account_number, row.account_holder, row.cod_enabled, row.cod_auto_confirm) == (
        "970422",
        "0123456789",
        "NGUYEN VAN NAM",
        True,
        False,
    )


@pytest.mark.parametrize(
    "data,field",
    [
        ({"bank_bin": "123456", "account_number": "1", "account_holder": "A B"}, "bank_bin"),
        ({"bank_bin": "970422", "account_number": "12;34", "account_holder": "A B"}, "account_number"),
        ({"bank_bin": "970422", "account_number": "123456", "account_holder": "1"}, "account_holder"),
        ({"bank_bin": ""}, "cod_enabled"),  # no cash on delivery and no bank: buyers could not pay
    ],
)
def test_bad_bank_settings_are_refused(client, make_seller, login, data, field):
    seller = make_seller()
    login(seller)
    resp = post_form(client, "/sell/payments", data, page="/sell/payments")
    assert resp.status_code == 400
    assert f'id="{field}-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ShopPaymentSettings.id))) == 0


def test_only_approved_sellers_have_payment_settings(client, make_user, make_seller, login):
    login(make_user())
    assert client.get("/sell/payments").status_code == 403
    login(make_seller(status="pending", shop_name="Chờ duyệt"))
    assert client.get("/sell/payments").status_code == 403


def test_once_the_buyer_says_they_transferred_the_way_to_pay_stays(client, shop, buyer, place):
    """The shop is then looking for that transfer: switching to cash on delivery would leave money in its
    account with no order to match. The address can still change."""
    from market.orders.models import Order
    from market.payments.models import Payment
    from tests.orders.fixtures import ADDRESS

    order = place(buyer, shop.product, 1, method="vietqr")
    login_as(client, buyer)
    assert post_form(client, f"/payments/{order.id}/transfer-sent", {}, page=f"/orders/{order.id}").status_code == 302

    def method():
        return db.session.scalar(sa.select(Order.payment_method).where(Order.id == order.id))

    resp = post_form(client, f"/orders/{order.id}/method", {"method": "cod"}, page=f"/orders/{order.id}")
    assert resp.status_code == 409 and "Bạn đã báo là đã chuyển khoản" in resp.get_data(as_text=True)
    resp = post_form(client, f"/orders/{order.id}/complete", {**ADDRESS, "method": "cod"}, page=f"/orders/{order.id}")
    assert resp.status_code == 400 and "Bạn đã báo là đã chuyển khoản" in resp.get_data(as_text=True)
    assert method() == "vietqr"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Payment.id)).where(
                Payment.order_id == order.id, Payment.method == "cod", Payment.status == "pending"
            )
        )
        == 0
    )
    # the same way to pay with a corrected address is fine
    resp = post_form(
        client,
        f"/orders/{order.id}/complete",
        {**ADDRESS, "ship_street": "Thôn 5", "method": "vietqr"},
        page=f"/orders/{order.id}",
    )
    assert resp.status_code == 302 and method() == "vietqr"
    assert db.session.scalar(sa.select(Order.ship_street).where(Order.id == order.id)) == "Thôn 5"


def test_the_memo_is_an_unguessable_order_code():
    """Property 38: the transfer memo is the order's code, 8 random characters of a 32-letter alphabet (40 bits)
    from the secrets module: neither sequential nor derivable from the order id."""
    from market.orders.service import _CODE_ALPHABET, new_order_code

    codes = [new_order_code() for _ in range(2000)]
    assert len(set(codes)) == 2000
    assert all(len(c) == 10 and c.startswith("CP") and set(c[2:]) <= set(_CODE_ALPHABET) for c in codes)
    assert len(_CODE_ALPHABET) == 32
    seen = {ch for c in codes for ch in c[2:]}
    assert seen == set(_CODE_ALPHABET)  # every letter used: no narrowed space
    assert codes != sorted(codes)


@pytest.mark.parametrize(
    "number", ["abc", "12", "12345", "52012O5123456", "1" * 20, "0123-456-789", "01234567😀", "١٢٣٤٥٦٧", "", "   "]
)
def test_an_account_number_is_6_to_19_digits(number):
    with pytest.raises(DomainError) as err:
        clean_account_number(number)
    assert err.value.field == "account_number"


@pytest.mark.parametrize(
    "raw,clean",
    [("0123 456 789", "0123456789"), ("1.903.5678.9012", "190356789012"), ("123456", "123456"), ("1" * 19, "1" * 19)],
)
def test_spaces_and_dots_are_dropped_from_account_numbers(raw, clean):
    assert clean_account_number(raw) == clean


@pytest.mark.parametrize("number", ["abc", "12", "52012O5123456", "1" * 20, "123😀456"])
def test_a_bad_account_number_is_told_beside_the_field_and_nothing_saved(client, make_seller, login, number):
    login(make_seller())
    resp = post_form(
        client,
        "/sell/payments",
        {
            "cod_enabled": "y",
            "bank_bin": "970422",
            "account_number": number,
            "account_holder": "Tran Van Phu",
            "confirm": "1",
        },
        page="/sell/payments",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="account_number-error"' in html and "6 đến 19 chữ số" in html
    assert db.session.scalar(sa.select(sa.func.count(ShopPaymentSettings.id))) == 0
