"""Product units as people say them."""

from flask_babel import pgettext


def unit_label(unit: str) -> str:
    """"piece" → "chiếc" in Vietnamese; a unit we do not know is shown as stored."""
    labels = {"kg": pgettext("unit", "kg"), "box": pgettext("unit", "box"), "bag": pgettext("unit", "bag"),
              "piece": pgettext("unit", "piece"), "metre": pgettext("unit", "metre")}
    return labels.get(unit, unit)
