"""Dates in the viewer's language."""

from __future__ import annotations

from django import template
from django.utils import dateformat

from letshangout.formats import local_format

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def local_date(value, name: str) -> str:
    """`{{ day|local_date:"DAY_FORMAT" }}`: a format of letshangout/formats/ by its name."""
    if not value:
        return ""
    return dateformat.format(value, local_format(name))
