"""The calendar feed read by real clients from Debian: vdirsyncer fetches it from the live
app into a folder, khal lists what it holds at the viewer's local times.

The lobby meets in New York, the viewer's khal lives in Berlin, and the weeks straddle the
two switches to summer time (the US switches two weeks before the EU), so the Berlin time of
the same New York meeting moves: 00:00, then 23:00 for two weeks, then 00:00 again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from http import HTTPStatus
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from django.urls import reverse

from lobbies import services
from lobbies.availability import weekly
from lobbies.exports import feed_tokens
from lobbies.store import load_lobby
from tests.factories import make_settings
from tests.voting_support import evening_window, reload
from voting import decisions
from voting.calendar import feed

pytestmark = [
    pytest.mark.skipif(
        not (shutil.which("vdirsyncer") and shutil.which("khal")),
        reason="needs Debian's vdirsyncer and khal (apt-get install vdirsyncer khal)",
    ),
]

LOBBY_ZONE = "America/New_York"
VIEWER_ZONE = "Europe/Berlin"
FIRST_MONDAY = date(2027, 3, 8)  # the US switches on 14 March 2027, the EU on 28 March
ONE_OFF_DAY = date(2027, 3, 22)  # a Monday in the weeks between the two switches


class Clients:
    """vdirsyncer and khal with their own config, HOME and data in a temporary folder."""

    def __init__(self, root: Path, url: str):
        self.root = root
        self.env = {**os.environ, "HOME": str(root), "XDG_CONFIG_HOME": str(root / "config")}
        (root / "calendar").mkdir()
        (root / "status").mkdir()
        self.vdirsyncer_config = root / "vdirsyncer.conf"
        self.vdirsyncer_config.write_text(
            "[general]\n"
            f'status_path = "{root / "status"}/"\n'
            "[pair lobbies]\n"
            'a = "lobbies_feed"\n'
            'b = "lobbies_folder"\n'
            "collections = null\n"
            'conflict_resolution = "a wins"\n'
            "[storage lobbies_feed]\n"
            'type = "http"\n'
            f'url = "{url}"\n'
            "[storage lobbies_folder]\n"
            'type = "filesystem"\n'
            f'path = "{root / "calendar"}/"\n'
            'fileext = ".ics"\n'
        )
        self.khal_config = root / "khal.conf"
        self.khal_config.write_text(
            "[calendars]\n"
            "[[lobbies]]\n"
            f"path = {root / 'calendar'}/\n"
            "type = calendar\n"
            "[locale]\n"
            "timeformat = %H:%M\n"
            "dateformat = %Y-%m-%d\n"
            "longdateformat = %Y-%m-%d\n"
            "datetimeformat = %Y-%m-%d %H:%M\n"
            "longdatetimeformat = %Y-%m-%d %H:%M\n"
            f"local_timezone = {VIEWER_ZONE}\n"
            f"default_timezone = {VIEWER_ZONE}\n"
            "[sqlite]\n"
            f"path = {root / 'khal.db'}\n"
        )

    def run(self, *command: str) -> str:
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def sync(self) -> None:
        config = str(self.vdirsyncer_config)
        self.run("vdirsyncer", "-c", config, "discover", "lobbies")
        self.run("vdirsyncer", "-c", config, "sync", "lobbies")

    def listed(self) -> list[str]:
        """Every event khal shows in March and April 2027, as "start title", once each
        (khal lists a meeting past midnight under both days; --once would also fold a
        series into its first meeting)."""
        out = self.run(
            "khal", "-c", str(self.khal_config), "list", "--day-format", "",
            "--format", "{start} {cancelled}{title}", "2027-03-01", "2027-04-30",
        )  # fmt: skip
        return list(dict.fromkeys(line for line in out.splitlines() if line.strip()))


@pytest.fixture
def user(transactional_db, django_user_model):
    return django_user_model.objects.create_user("sam", "sam@example.com", "correct horse")


def ny_lobby(user, **overrides):
    values = {"timezone": LOBBY_ZONE, "title": "Five-a-side", **overrides}
    membership = services.create_lobby(make_settings(**values), "Sam", user.pk)
    return load_lobby(membership.participant.code), membership.participant


def test_khal_shows_the_lobbies_at_berlin_times_across_the_dst_switches(
    live_server, user, tmp_path
):
    feed.forget_feeds()
    weekly_days = weekly.reference_dates((1,))
    series, me = ny_lobby(
        user, title="Five-a-side", dates=weekly_days, schedule=weekly.WEEKDAYS, weekdays=(1,)
    )
    repeat = weekly.Repeat(FIRST_MONDAY, count=4)
    decisions.settle(series, me.participant_id, evening_window(series, 0, 18), None, repeat=repeat)
    one_off, me_too = ny_lobby(user, title="Pub quiz", dates=(ONE_OFF_DAY,))
    decisions.settle(one_off, me_too.participant_id, evening_window(one_off, 0, 19), None)
    token = feed_tokens.issue(user.pk)
    url = live_server.url + reverse("voting:feed", args=[token])
    clients = Clients(tmp_path, url)

    clients.sync()
    assert clients.listed() == [
        "2027-03-09 00:00 Five-a-side",  # New York 18:00 EST, Berlin CET
        "2027-03-15 23:00 Five-a-side",  # US summer time, Berlin still CET
        "2027-03-22 23:00 Five-a-side",
        "2027-03-23 00:00 Pub quiz",  # the one-off at 19:00 in the same week
        "2027-03-30 00:00 Five-a-side",  # both on summer time
    ]

    # The organizer reopens (khal shows the series cancelled), then settles an hour later.
    decisions.reopen(reload(series.code), me.participant_id)
    clients.sync()
    assert "2027-03-09 00:00 CANCELLED Five-a-side" in clients.listed()
    moved = reload(series.code)
    decisions.settle(moved, me.participant_id, evening_window(moved, 0, 19), None, repeat=repeat)
    clients.sync()
    assert clients.listed() == [
        "2027-03-09 01:00 Five-a-side",
        "2027-03-16 00:00 Five-a-side",
        "2027-03-23 00:00 Five-a-side",
        "2027-03-23 00:00 Pub quiz",
        "2027-03-30 01:00 Five-a-side",
    ]

    # A new address: the old one is gone for every client at once.
    feed_tokens.issue(user.pk)
    with pytest.raises(HTTPError) as refused:
        urlopen(url, timeout=10)  # noqa: S310 - the test's own live server
    assert refused.value.code == HTTPStatus.NOT_FOUND
