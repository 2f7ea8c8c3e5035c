"""The admin site: allauth's sign-in page in front of it, and a "Lobbies" section."""

from __future__ import annotations

from functools import partial, update_wrapper

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _


class LetsHangOutAdminSite(admin.AdminSite):
    site_header = _("LetsHangOut administration")
    site_title = _("LetsHangOut admin")
    index_title = _("Site administration")

    def login(self, request, extra_context=None):
        """Signing in happens on allauth's page, so its rate limits (and anything else
        allauth enforces) apply to staff too: anonymous visitors are sent there, a signed-in
        non-staff user gets a 403, and staff go on to the admin."""
        return secure_admin_login(super().login)(request, extra_context)

    def get_urls(self):
        from hangout.lobby_admin import views

        def staff_only(view):
            # admin_view: staff only, CSRF, never cached; the site is passed for its context.
            return self.admin_view(update_wrapper(partial(view, self), view))

        lobby_urls = [
            path("lobbies/lobby/", staff_only(views.lobby_list), name="lobbies_lobby_changelist"),
            path(
                "lobbies/lobby/<str:code>/",
                staff_only(views.lobby_detail),
                name="lobbies_lobby_change",
            ),
            path(
                "lobbies/lobby/<str:code>/<str:action>/",
                staff_only(views.lobby_action),
                name="lobbies_lobby_action",
            ),
        ]
        # Before the ORM models' URLs, which end in a catch-all.
        return lobby_urls + super().get_urls()

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label in (None, "lobbies") and self.has_permission(request):
            url = reverse("admin:lobbies_lobby_changelist", current_app=self.name)
            apps.append(
                {
                    "name": _("Lobbies"),
                    "app_label": "lobbies",
                    "app_url": url,
                    "has_module_perms": True,
                    "models": [
                        {
                            "name": _("Lobbies"),
                            "object_name": "Lobby",
                            "admin_url": url,
                            "add_url": None,
                            "view_only": False,
                            "perms": {"add": False, "change": True, "delete": True, "view": True},
                        }
                    ],
                }
            )
            apps.sort(key=lambda app: str(app["name"]).lower())
        return apps
