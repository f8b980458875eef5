"""Account rules: phone numbers, registration, login checks, seller applications, staff assignment.

Functions flush but never commit: the caller (a view, a CLI command) commits once.
"""

from __future__ import annotations

import phonenumbers
import sqlalchemy as sa
from flask_babel import gettext as _

from market import ratelimit
from market.accounts.models import Commune, SellerProfile, SellerStatus, StaffAssignment, User
from market.accounts.passwords import check_password, dummy_check, hash_password
from market.database import on_commit, utcnow
from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.securitylog import security_event
from market.text import clean_line, clean_text, fold, slugify

NAME_MAX = 80
SHOP_NAME_MAX = 80
STORY_MAX = 4000
PASSWORD_MIN = 8
PASSWORD_MAX = 128
LOGIN_FAILURES = "10/15 minutes"  # per IP address and per number, pages and API together: then 429


def normalize_phone(raw: str | None, region: str = "VN") -> str:
    """Parse a phone number as people type it ("0912 345 678", "+84 912345678") into E.164."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 32:
        raise DomainError(ErrorCode.INVALID, _("Enter a phone number such as 0912 345 678."), field="phone")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise DomainError(ErrorCode.INVALID, _("This is not a phone number we can read."), field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError(ErrorCode.INVALID, _("This is not a valid phone number."), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Show a stored number the way Vietnamese people write it (national format for +84)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 84
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def mask_name(name: str) -> str:
    """A buyer's name as shown to other viewers: "Hoàng Thị Hoa" → "Hoa H." keeps people unidentifiable."""
    parts = clean_line(name).split()
    if not parts:
        return "***"
    if len(parts) == 1:
        return parts[0][:1] + "***"
    return f"{parts[-1]} {parts[0][:1]}."


def clean_display_name(raw: str | None) -> str:
    name = clean_line(raw)
    if not name:
        raise DomainError(ErrorCode.INVALID, _("Enter your name."), field="display_name")
    if len(name) > NAME_MAX:
        raise DomainError(
            ErrorCode.INVALID, _("A name can have at most %(n)d characters.", n=NAME_MAX), field="display_name"
        )
    return name


def check_new_password(password: str | None) -> str:
    password = password or ""
    if len(password) < PASSWORD_MIN:
        raise DomainError(
            ErrorCode.INVALID, _("A password needs at least %(n)d characters.", n=PASSWORD_MIN), field="password"
        )
    if len(password) > PASSWORD_MAX:
        raise DomainError(
            ErrorCode.INVALID, _("A password can have at most %(n)d characters.", n=PASSWORD_MAX), field="password"
        )
    return password


SMS_REACHABLE = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


def require_mobile(e164: str) -> None:
    """Accounts people open themselves need a number that gets SMS (order news, live alerts, password reset):
    a landline, a 1800/1900 service number or a shared-cost line is valid but never receives one."""
    if phonenumbers.number_type(phonenumbers.parse(e164, None)) not in SMS_REACHABLE:
        raise DomainError(
            ErrorCode.INVALID, _("Use a mobile number: this one cannot receive text messages."), field="phone"
        )


def register_user(
    phone: str,
    display_name: str,
    password: str,
    locale: str = "vi",
    password_hash: str | None = None,
    mobile_only: bool = False,
) -> User:
    """A new account. ``mobile_only`` for sign-up; staff opening an account for a villager may enter any
    valid number (they reach that person by calling)."""
    e164 = normalize_phone(phone)
    if mobile_only:
        require_mobile(e164)
    name = clean_display_name(display_name)
    if password_hash is None:
        password_hash = hash_password(check_new_password(password))
    if db.session.scalar(sa.select(User.id).where(User.phone == e164)) is not None:
        raise DomainError(
            ErrorCode.INVALID,
            _("This phone number already has an account. Log in, or log in with an SMS code if you have no password."),
            field="phone",
        )
    user = User(
        phone=e164, display_name=name, password_hash=password_hash, locale=locale if locale in ("vi", "en") else "vi"
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(phone: str, password: str) -> User | None:
    """The user for this phone and password, or None. Unknown phone and wrong password look the same."""
    try:
        e164 = normalize_phone(phone)
    except DomainError:
        dummy_check(password or "")
        return None
    # One light query whatever the number (the account itself is loaded only after the password matched), and an
    # unknown number or an account without a password (staff opened it, a phone order made it) costs one Argon2
    # verification, as a wrong password does: the timing does not tell which numbers have accounts.
    row = db.session.execute(sa.select(User.id, User.password_hash).where(User.phone == e164)).first()
    if row is None or row.password_hash.startswith("!"):
        dummy_check(password or "")
        return None
    if not check_password(row.password_hash, password or ""):
        return None
    return db.session.get(User, row.id)


class LoginRefused(DomainError):
    """A wrong phone or password, or a banned account (counted alike). ``banned_reason`` is for the pages, which
    tell the account holder why; the API answers as for a wrong password."""

    status = 401

    def __init__(self, banned: bool = False, banned_reason: str | None = None):
        super().__init__("not_logged_in", _("The phone number or password is not right."))
        self.banned = banned
        self.banned_reason = banned_reason


def log_in(phone: str, password: str, *, ip: str, via: str | None = None) -> User:
    """The account for a phone and password, after the lockout: 10 failures per IP address or per number (however
    it is written) in 15 minutes refuse every further try with 429, right or wrong. Refusals and locks go to the
    security log (``via``: "api" for the JSON API). Raises ``LoginRefused`` or ``DomainError`` (429)."""
    try:
        phone_key = normalize_phone(phone)
    except DomainError:
        phone_key = (phone or "")[:32]
    keys = (("login-ip", ip), ("login-phone", phone_key))
    logged = {"via": via} if via else {}
    if not all(ratelimit.allowed(LOGIN_FAILURES, *key) for key in keys):
        security_event("login_locked", phone=phone_key, **logged)
        raise DomainError(
            ErrorCode.RATE_LIMITED, _("Too many failed attempts. Please wait 15 minutes and try again."), status=429
        )
    user = authenticate(phone, password)
    if user is None or user.is_banned:
        for key in keys:
            ratelimit.hit(LOGIN_FAILURES, *key)
        security_event(
            "login_failed",
            phone=phone_key,
            user_id=user.id if user else None,
            **logged,
            reason="banned" if user else "unknown_or_wrong_password",
        )
        raise LoginRefused(banned=user is not None, banned_reason=user.banned_reason if user else None)
    record_login(user)
    return user


CODE_ONLY_PREFIX = "!code:"  # noqa: S105 - signed up with a code, no password yet: none ever matches


def set_password(user: User, password: str | None) -> None:
    """A new password (recovery, the account page, a claimed account): every other session ends."""
    user.password_hash = hash_password(check_new_password(password))
    end_all_sessions(user)
    db.session.flush()
    security_event("password_changed", user_id=user.id)


def check_current_password(user: User, password: object) -> None:
    if not (
        isinstance(password, str)
        and user.has_password
        and len(password) <= PASSWORD_MAX
        and check_password(user.password_hash, password)
    ):
        raise DomainError(ErrorCode.INVALID, _("This is not your current password."), field="current_password")


def account_exists(e164: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.phone == e164)) is not None


def sign_in_by_code(e164: str) -> User | None:
    """After a sign-in code was used: the account of that number (claimed if staff or a phone order opened it),
    or None when the number has none yet (the caller asks for a name). A banned account is refused."""
    user: User | None = db.session.scalar(sa.select(User).where(User.phone == e164))
    if user is None:
        return None
    refuse_banned(user)
    verified(user)
    return user


def refuse_banned(user: User) -> None:
    if user.is_banned:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            _(
                "This account has been blocked: %(reason)s. You cannot sign in to it; ask your commune's staff.",
                reason=user.banned_reason or "",
            ),
            status=403,
        )


def verified(user: User) -> None:
    """A code to her number just proved this person holds it. The first time for an account somebody else opened
    for her (no password, never proved), that is the claim: the areas above hear ``account_claimed``."""
    from market.accounts.signals import account_claimed

    first_claim = user.phone_verified_at is None and not user.has_password
    user.phone_verified_at = utcnow()
    db.session.flush()
    if first_claim:
        security_event("account_claimed", user_id=user.id, phone=user.phone)
        account_claimed.send(user)


def sign_up_by_code(e164: str, display_name: str | None, locale: str = "vi") -> User:
    """A new account for a number a code just proved; no password until she sets one."""
    import secrets

    user = register_user(
        e164,
        display_name or "",
        "",
        locale=locale,
        mobile_only=True,
        password_hash=CODE_ONLY_PREFIX + secrets.token_hex(16),
    )
    user.phone_verified_at = utcnow()
    db.session.flush()
    return user


PHONE_CHANGED_KIND = "account.phone_changed"  # its ZNS template (``ZALO_ZNS_TEMPLATES``) takes ``phone``


def change_phone(user: User, new_e164: str) -> None:
    """Move ``user`` to a number a code just proved. A number with an account is refused (only the person who
    typed the code sent to it learns that)."""
    if new_e164 == user.phone:
        raise DomainError(ErrorCode.INVALID, _("This is already your phone number."), field="phone")
    if db.session.scalar(sa.select(User.id).where(User.phone == new_e164)) is not None:
        raise DomainError(
            ErrorCode.INVALID,
            _("This number already has its own account. Sign in to it with a code, or ask staff to help you."),
            field="phone",
        )
    old = user.phone
    user.phone = new_e164
    user.phone_verified_at = utcnow()
    end_all_sessions(user)
    db.session.flush()
    security_event("phone_changed", user_id=user.id, phone=new_e164, old_phone=old)
    text = _(
        "Chợ Phiên: your account now uses the number %(phone)s. If this was not you, call your commune's staff.",
        phone=format_phone(new_e164),
    )

    params = {"phone": format_phone(new_e164)}

    def tell_old_number() -> None:  # whoever still holds the old number hears of it: by Zalo ZNS if set up, else SMS
        from market.notifications.zns import deliver
        from market.tasks import defer

        defer(deliver, old, text, PHONE_CHANGED_KIND, params)

    on_commit(tell_old_number)


def record_login(user: User) -> None:
    user.last_login_at = utcnow()


def end_all_sessions(user: User) -> None:
    """Invalidate every cookie, remember-me cookie and API token of ``user`` (logout, ban, new password)."""
    user.auth_version = (user.auth_version or 1) + 1


def unique_shop_slug(name: str) -> str:
    base = slugify(name, 60)
    slug, n = base, 2
    while db.session.scalar(sa.select(SellerProfile.id).where(SellerProfile.slug == slug)) is not None:
        slug = f"{base}-{n}"
        n += 1
    return slug


def apply_to_sell(user: User, shop_name: str, commune_id: int | None, story: str) -> SellerProfile:
    """Create a pending seller profile; commune staff approve it."""
    if user.seller_profile is not None:
        raise DomainError(ErrorCode.INVALID, _("You have already applied to sell."))
    name = clean_line(shop_name)
    if not name:
        raise DomainError(ErrorCode.INVALID, _("Enter a shop name."), field="shop_name")
    if len(name) > SHOP_NAME_MAX:
        raise DomainError(
            ErrorCode.INVALID, _("A shop name can have at most %(n)d characters.", n=SHOP_NAME_MAX), field="shop_name"
        )
    commune = db.session.get(Commune, commune_id) if isinstance(commune_id, int) else None
    if commune is None:
        raise DomainError(ErrorCode.INVALID, _("Choose a commune from the list."), field="commune_id")
    story = clean_text(story)
    if len(story) > STORY_MAX:
        raise DomainError(
            ErrorCode.INVALID, _("The story can have at most %(n)d characters.", n=STORY_MAX), field="story"
        )
    profile = SellerProfile(
        user=user,
        commune=commune,
        shop_name=name,
        slug=unique_shop_slug(name),
        story=story,
        status=SellerStatus.PENDING,
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def set_seller_status(
    profile: SellerProfile, status: SellerStatus, by: User | None, reason: str | None = None
) -> SellerProfile:
    """Approve or suspend a seller. Suspending needs a reason the seller will read."""
    status = SellerStatus(status)
    reason = clean_line(reason)[:500] or None
    if status == SellerStatus.SUSPENDED and not reason:
        raise DomainError(ErrorCode.INVALID, _("Give a reason; the seller will see it."), field="reason")
    profile.status = status
    profile.status_reason = reason
    profile.reviewed_at = utcnow()
    profile.reviewed_by_id = by.id if by else None
    db.session.flush()
    return profile


def assign_staff(user: User, commune: Commune) -> StaffAssignment:
    user.is_staff = True
    existing = db.session.scalar(
        sa.select(StaffAssignment).where(StaffAssignment.user_id == user.id, StaffAssignment.commune_id == commune.id)
    )
    if existing:
        return existing
    assignment = StaffAssignment(user=user, commune=commune)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def commune_by_slug(slug: str) -> Commune | None:
    return db.session.scalar(sa.select(Commune).where(Commune.slug == slug))


def communes_in_order() -> list[Commune]:
    """Communes by province then name, in Vietnamese alphabetical order (Đắk Lắk sorts as D)."""
    communes = db.session.scalars(sa.select(Commune)).all()
    return sorted(communes, key=lambda c: (fold(c.province), fold(c.name)))
