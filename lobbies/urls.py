from __future__ import annotations

from django.urls import path

from lobbies import views
from lobbies.availability import calendar_views
from lobbies.availability import views as grid_views
from lobbies.comments import views as comment_views
from lobbies.exports import feed_views
from lobbies.exports import views as export_views
from lobbies.people import account_views
from lobbies.people import views as people_views

app_name = "lobbies"

urlpatterns = [
    path("", views.home, name="home"),
    path("find/", views.find, name="find"),
    path("lobbies/new/", views.create, name="create"),
    path("me/lobbies/", views.mine, name="mine"),
    path("me/calendar/", feed_views.calendar_address, name="calendar_address"),
    path("l/<str:code>/", views.detail, name="detail"),
    path("l/<str:code>/join/", views.join, name="join"),
    path("l/<str:code>/me/<str:token>/", views.personal_link, name="personal_link"),
    path("l/<str:code>/my-link/", views.new_personal_link, name="new_personal_link"),
    path("l/<str:code>/settings/", views.edit, name="edit"),
    path("l/<str:code>/lock/", views.set_lock, name="lock"),
    path("l/<str:code>/leave/", views.leave, name="leave"),
    path("l/<str:code>/delete/", views.delete, name="delete"),
    path("l/<str:code>/take-over/", account_views.take_over, name="take_over"),
    path("l/<str:code>/availability/", grid_views.save_availability, name="availability"),
    path("l/<str:code>/poll/", grid_views.poll, name="poll"),
    path("l/<str:code>/group/", grid_views.group, name="group"),
    path("l/<str:code>/who/", grid_views.who, name="who"),
    path("l/<str:code>/people/", people_views.people, name="people"),
    path("l/<str:code>/timezone/", grid_views.set_timezone, name="timezone"),
    path("l/<str:code>/calendar/", calendar_views.compare, name="calendar"),
    path("l/<str:code>/comments/", comment_views.older, name="comments"),
    path("l/<str:code>/comments/new/", comment_views.post, name="comment"),
    path("l/<str:code>/comments/delete/", comment_views.delete, name="delete_comment"),
    path("l/<str:code>/export/mine.<str:fmt>", export_views.my_data, name="export_mine"),
    path("l/<str:code>/export/lobby.<str:fmt>", export_views.lobby_data, name="export_lobby"),
    path("me/account/delete/", account_views.delete_account, name="delete_account"),
    path(
        "l/<str:code>/participants/<str:participant_id>/remove/",
        views.remove_participant,
        name="remove_participant",
    ),
]
