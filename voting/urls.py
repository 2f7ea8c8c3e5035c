from __future__ import annotations

from django.urls import path

from voting import people_views, views
from voting.calendar import views as feed_views
from voting.emails import views as email_views

app_name = "voting"

urlpatterns = [
    path("l/<str:code>/places/", views.propose, name="propose"),
    path("l/<str:code>/places/<str:place_id>/edit/", views.edit_place, name="edit_place"),
    path("l/<str:code>/places/<str:place_id>/delete/", views.delete_place, name="delete_place"),
    path("l/<str:code>/places/<str:place_id>/vote/", views.vote, name="vote"),
    path("l/<str:code>/places/<str:place_id>/voters/", people_views.voters, name="voters"),
    path("l/<str:code>/settled/people/", people_views.attendance, name="attendance"),
    path("l/<str:code>/settle/", views.settle, name="settle"),
    path("l/<str:code>/reopen/", views.reopen, name="reopen"),
    path("l/<str:code>/event.ics", views.event_ics, name="ics"),
    path("l/<str:code>/notifications/", views.notifications_setting, name="notifications"),
    path("feeds/<str:token>.ics", feed_views.calendar_feed, name="feed"),
    path("l/<str:code>/email/", email_views.save, name="guest_email"),
    path("l/<str:code>/email/remove/", email_views.remove, name="guest_email_remove"),
    path("email/confirm/<str:token>/", email_views.confirm, name="confirm_email"),
    path("unsubscribe/<str:token>/", email_views.unsubscribe_link, name="unsubscribe"),
]
