from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from market.accounts.forms import ChoiceField
from market.live.sessions import DESCRIPTION_MAX, TITLE_MAX
from market.live.streams import LINK_REQUIRED


class LocalDateTimeField(DateTimeLocalField):
    """A datetime-local input whose "not a date" error speaks the user's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Choose the date and time of the live.")) from None


class SessionForm(FlaskForm):
    title = StringField(
        _l("Session title"),
        validators=[
            DataRequired(_l("Give the session a title.")),
            Length(max=TITLE_MAX, message=_l("A session title can have at most %(max)d characters.")),
        ],
        render_kw={"placeholder": _l("Durian session from Ea Knuếc")},
    )
    # Required unless this site streams sessions itself (``link_required``, from ``streams.own_video``).
    stream_url = StringField(
        _l("Link of your TikTok, YouTube or Facebook live"),
        validators=[Length(max=500, message=_l("This link is too long."))],
        render_kw={"inputmode": "url", "placeholder": "https://www.tiktok.com/@ten/live"},
    )
    scheduled_at = LocalDateTimeField(
        _l("Date and time (Vietnam time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Choose the date and time of the live."))],
    )
    description = TextAreaField(
        _l("What you will sell (optional)"),
        validators=[Length(max=DESCRIPTION_MAX, message=_l("The description can have at most %(max)d characters."))],
    )
    cover_product_id = ChoiceField(_l("Picture of the session"), coerce=int, validators=[Optional()])
    chot_enabled = BooleanField(_l("Buyers may order by writing “chốt 2” in the chat"), default=True)

    def __init__(self, *args, products=(), link_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.cover_product_id.choices = [(0, _l("None"))] + [(p.id, p.title) for p in products]
        self.link_required = link_required
        if link_required:  # no video of our own: the link is the only way to watch
            self.stream_url.validators = [DataRequired(LINK_REQUIRED), *self.stream_url.validators]
            self.stream_url.flags.required = True
        else:
            self.stream_url.label.text = _l("Link of your TikTok, YouTube or Facebook live (optional)")


class EditSessionForm(SessionForm):
    replay_url = StringField(
        _l("Link of the replay (after the live)"),
        validators=[Optional(), Length(max=500, message=_l("This link is too long."))],
        render_kw={"inputmode": "url"},
    )
