from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from hangout import bench_views, views
from letshangout import languages

urlpatterns = [
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon),
    path("language/", languages.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("voting.urls")),
    path("", include("lobbies.urls")),
]

if settings.BENCHMARK_ROUTES:
    urlpatterns.insert(
        0, path("bench/baseline/<str:code>/", bench_views.baseline, name="bench_baseline")
    )

handler400 = "hangout.views.bad_request"
handler403 = "hangout.views.permission_denied"
handler404 = "hangout.views.page_not_found"
handler500 = "hangout.views.server_error"
