"""QR codes as inline SVG, so a phone can open a link shown on another screen."""

from __future__ import annotations

from functools import lru_cache

import segno
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The standard quiet zone: four modules of light around the code, or readers miss it.
QUIET_ZONE = 4


@lru_cache(maxsize=256)
def qr_svg(text: str) -> SafeString:
    """`text` as a QR code in SVG markup, sized by the stylesheet (a viewBox, no width).

    The text is only ever encoded into the modules, never written into the markup, and segno
    writes nothing else but numbers and fixed attributes, so the markup is safe as it is. The
    light fill covers the quiet zone too: on a dark page the code still reads dark on light.
    Cached by the text, which for a lobby's invite link never changes.
    """
    code = segno.make(text, error="m")
    markup = code.svg_inline(
        border=QUIET_ZONE, dark="#000", light="#fff", omitsize=True, svgclass="qr-svg"
    )
    return mark_safe(markup)


@register.inclusion_tag("includes/qr_code.html")
def qr_code(text: str, label: str = "") -> dict:
    """`{% qr_code url label=_("QR code of …") %}`: an image named `label`; without a label
    it is hidden from screen readers, for where the same link is written out beside it."""
    return {"svg": qr_svg(text), "label": label}
