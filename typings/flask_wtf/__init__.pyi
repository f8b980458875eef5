# Flask-WTF 1.3 ships neither annotations nor py.typed (nor does WTForms 3), so ``FlaskForm`` is Any to mypy and a
# form class "cannot subclass" it under --strict. This declares the class and the methods Chợ Phiên calls; its base,
# WTForms' ``Form``, stays Any (so do the fields), the rest of the module too.
from typing import Any

from markupsafe import Markup
from wtforms import Form

from flask_wtf.csrf import CSRFProtect as CSRFProtect

class FlaskForm(Form):  # type: ignore[misc]  # WTForms has no type information: its Form is Any
    def __init__(self, formdata: Any = ..., **kwargs: Any) -> None: ...
    def is_submitted(self) -> bool: ...
    def validate_on_submit(self, extra_validators: Any = None) -> bool: ...
    def hidden_tag(self, *fields: Any) -> Markup: ...

def __getattr__(name: str) -> Any: ...
