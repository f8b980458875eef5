import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, StaffAssignment, User
from market.extensions import db


def test_seed_demo_is_idempotent_and_prints_logins(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "0903000001" in first.output and "chophien123" in first.output
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (User, Commune, SellerProfile)]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert counts == [
        db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (User, Commune, SellerProfile)
    ]
    names = set(db.session.scalars(sa.select(Commune.name)))
    assert {
        "Ea Knuếc",
        "Xuân Lãnh",
        "Quảng Phú",
        "Nam Ka",
        "Tân Lập",
        "Buôn Ma Thuột",
        "Tân An",
        "Phú Yên",
        "Tủa Sín Chải",
    } <= names
    # one staff member per commune
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(StaffAssignment.commune_id)))) == len(names)


def test_create_staff(runner, make_commune):
    commune = make_commune("Nam Ka")
    result = runner.invoke(
        args=["create-staff", "0912 111 222", "--commune", "nam-ka", "--name", "Chị Mai", "--password", "password123"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.phone == "+84912111222"))
    assert user.is_staff and user.staff_commune_ids == {commune.id}


def test_create_staff_bad_input(runner, make_commune):
    make_commune("Nam Ka")
    assert runner.invoke(args=["create-staff", "12", "--commune", "nam-ka"]).exit_code != 0
    result = runner.invoke(args=["create-staff", "0912111222", "--commune", "nowhere", "--password", "x" * 10])
    assert result.exit_code != 0 and "nowhere" in result.output
