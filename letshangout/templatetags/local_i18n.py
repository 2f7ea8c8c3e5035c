"""Dates in the viewer's language, and the JavaScript catalog of the active language."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.translation import get_language

from letshangout.formats import local_format

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def local_date(value, name: str) -> str:
    """`{{ day|local_date:"DAY_FORMAT" }}`: a format of letshangout/formats/ by its name."""
    if not value:
        return ""
    return dateformat.format(value, local_format(name))


def catalog_path(language: str) -> str:
    return f"jsi18n/{language}/djangojs.js"


@lru_cache(maxsize=16)
def _catalog_url(language: str) -> str:
    """The catalog's URL, or "" where there is nothing to load: English is the source
    language (the scripts carry it), and a catalog that was not built is left out, so the
    scripts fall back to English instead of the page failing."""
    if language == settings.LANGUAGE_CODE:
        return ""
    path = catalog_path(language)
    try:
        built = not settings.DEBUG and staticfiles_storage.exists(path)
        if not built and not finders.find(path):
            return ""
        return staticfiles_storage.url(path)
    except ValueError:  # not in the manifest
        return ""


@register.simple_tag
def js_catalog() -> str:
    """<script> for the active language's JavaScript catalog (static/jsi18n/, built by
    `manage.py build_js_catalogs`), before the scripts that use it."""
    url = _catalog_url(get_language() or settings.LANGUAGE_CODE)
    return format_html('<script src="{}" defer></script>', url) if url else ""
