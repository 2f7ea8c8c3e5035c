from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class LetsHangOutAdminConfig(AdminConfig):
    """django.contrib.admin with our site as `admin.site` (Django's documented way to
    replace the default site), so every app's admin.py registers into it."""

    default_site = "hangout.lobby_admin.site.LetsHangOutAdminSite"
