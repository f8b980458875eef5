from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import Choice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from market.accounts.models import Commune
from market.accounts.service import NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, SHOP_NAME_MAX, STORY_MAX


class PhoneField(StringField):  # type: ignore[misc]  # WTForms has no type information: its fields are Any
    def __init__(self, label: str | LazyString | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"autocomplete": "tel", "inputmode": "tel", "placeholder": "0912 345 678"})
        super().__init__(label, **kwargs)


class ChoiceField(SelectField):  # type: ignore[misc]  # WTForms has no type information: its fields are Any
    """A select whose "not a valid choice" errors speak the user's language (WTForms' own are English).

    With ``placeholder`` it starts on an empty "— choose —" option, so a form sent untouched is refused (by the
    field's InputRequired, beside it) instead of quietly taking the first value of the list."""

    data: Any  # WTForms' Field.data: the coerced value, or None

    def __init__(
        self,
        label: str | LazyString | None = None,
        validators: Any = None,
        placeholder: str | LazyString | None = None,
        **kwargs: Any,
    ) -> None:
        self.placeholder = placeholder
        if placeholder is not None:
            coerce = kwargs.get("coerce", str)
            kwargs["coerce"] = lambda v, _c=coerce: None if v in ("", None) else _c(v)
        super().__init__(label, validators, **kwargs)

    def iter_choices(self) -> list[Any]:
        choices = list(super().iter_choices())
        if self.placeholder is not None:
            choices.insert(0, Choice(value="", label=str(self.placeholder), selected=self.data is None, render_kw={}))
        return choices

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Choose a value from the list.")) from None

    def pre_validate(self, form: FlaskForm) -> None:
        if self.process_errors:  # already told (above): "abc" for a number is not said twice
            return
        if self.placeholder is not None and self.data is None:  # untouched: the field's InputRequired tells
            return
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("Choose a value from the list."))


class RegisterForm(FlaskForm):
    phone = PhoneField(
        _l("Phone number"),
        validators=[
            DataRequired(_l("Enter your phone number.")),
            Length(max=32, message=_l("This is not a valid phone number.")),
        ],
    )
    display_name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=NAME_MAX, message=_l("A name can have at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Choose a password.")),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=_l("A password needs %(min)d to %(max)d characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    phone = PhoneField(
        _l("Phone number"),
        validators=[
            DataRequired(_l("Enter your phone number.")),
            Length(max=32, message=_l("This is not a valid phone number.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Enter your password.")),
            Length(max=PASSWORD_MAX, message=_l("A password can have at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this phone"), default=True)


class ApplySellerForm(FlaskForm):
    shop_name = StringField(
        _l("Shop name"),
        validators=[
            DataRequired(_l("Enter a shop name.")),
            Length(max=SHOP_NAME_MAX, message=_l("A shop name can have at most %(max)d characters.")),
        ],
    )
    commune_id = ChoiceField(
        _l("Commune"),
        coerce=int,
        placeholder=_l("— Choose your commune —"),
        validators=[InputRequired(_l("Choose a commune from the list."))],
    )
    story = TextAreaField(
        _l("Your story (what you grow or make, and how)"),
        validators=[Length(max=STORY_MAX, message=_l("The story can have at most %(max)d characters."))],
    )

    def __init__(self, *args: Any, communes: Iterable[Commune] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commune_id.choices = [(c.id, f"{c.name} — {c.province}") for c in communes]


class LanguageForm(FlaskForm):
    pass


class CodeField(StringField):  # type: ignore[misc]  # WTForms has no type information: its fields are Any
    def __init__(self, label: str | LazyString | None = None, **kwargs: Any) -> None:
        kwargs.setdefault(
            "render_kw",
            {
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "maxlength": "7",
                "pattern": "[0-9 ]*",
                "placeholder": "123456",
            },
        )
        super().__init__(label, **kwargs)


def _phone_field() -> PhoneField:
    return PhoneField(
        _l("Phone number"),
        validators=[
            DataRequired(_l("Enter your phone number.")),
            Length(max=32, message=_l("This is not a valid phone number.")),
        ],
    )


def _code_field() -> CodeField:
    return CodeField(
        _l("Code from the SMS"),
        validators=[
            DataRequired(_l("Enter the 6 digits of the code we sent by SMS.")),
            Length(max=32, message=_l("A code has 6 digits.")),
        ],
    )


def _new_password_field(label: str | LazyString = _l("New password")) -> Any:
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("Choose a password.")),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=_l("A password needs %(min)d to %(max)d characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PhoneStepForm(FlaskForm):
    """Step 1 of every code flow: the number the code goes to."""

    phone = _phone_field()


class CodeStepForm(FlaskForm):
    """Step 2: the number again (hidden) and the code."""

    phone = _phone_field()
    code = _code_field()


class NameForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=NAME_MAX, message=_l("A name can have at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )


class ResetForm(FlaskForm):
    phone = _phone_field()
    code = _code_field()
    password = _new_password_field()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[Length(max=PASSWORD_MAX, message=_l("A password can have at most %(max)d characters."))],
        render_kw={"autocomplete": "current-password"},
    )
    code = CodeField(_l("Or the code from the SMS"), validators=[Length(max=32, message=_l("A code has 6 digits."))])
    password = _new_password_field()


class SendCodeForm(FlaskForm):
    """ "Send me a code" on a page whose other fields are not filled in yet: only the CSRF token is checked."""
