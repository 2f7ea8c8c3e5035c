"""Rate limits: guessing codes, creating lobbies, proposing places, allauth's own limits; the
client IP behind one proxy; exact counts across processes on the shared cache."""

from __future__ import annotations

import math
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from http import HTTPStatus
from pathlib import Path

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from letshangout import ratelimit
from lobbies.store import load_lobby
from tests.factories import create_payload

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def limits(settings):
    """The production limits (conftest makes them generous for every other test)."""
    settings.RATE_LIMITS = {
        "lobby_lookup": (20, 60),
        "lobby_create": (10, 3600),
        "place_propose": (30, 600),
        "place_propose_address": (150, 600),
    }
    return settings.RATE_LIMITS


def wrong_codes(n: int) -> list[str]:
    rng = random.Random(n)
    return [
        "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(8)) for _ in range(n)
    ]


# --- client IP -------------------------------------------------------------------------------


@pytest.mark.no_dynamodb
@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # no proxy: the header is a lie
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # client-supplied part ignored
        (1, "10.0.0.2", "", "10.0.0.2"),
        (1, "10.0.0.2", "not-an-ip", "10.0.0.2"),
        (2, "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (1, "10.0.0.2", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        (1, "10.0.0.2", "2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # same subscriber
        (0, "::ffff:198.51.100.1", "", "198.51.100.1"),
    ],
)
def test_client_ip(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_ip(request) == expected


# --- guessing codes --------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["find", "detail", "join", "personal_link"])
def test_guessing_codes_hits_429_quickly(client, db, limits, how):
    def guess(code: str):
        if how == "find":
            return client.get(reverse("lobbies:find"), {"code": code})
        if how == "detail":
            return client.get(reverse("lobbies:detail", args=[code]))
        if how == "join":
            return client.post(reverse("lobbies:join", args=[code]), {"display_name": "x"})
        return client.get(reverse("lobbies:personal_link", args=[code, "some-token"]))

    answers = [guess(code).status_code for code in wrong_codes(22)]
    assert answers[:20] == [HTTPStatus.NOT_FOUND] * 20
    assert answers[20:] == [HTTPStatus.TOO_MANY_REQUESTS] * 2
    limited = guess("ABCD2345")
    assert 0 < int(limited["Retry-After"]) <= 120  # the true wait of a sliding minute
    assert b"Too many tries" in limited.content


@pytest.mark.parametrize(
    ("seconds_later", "allowed"),
    [(0.2, 0), (30.1, 10), (60.1, 20)],  # the last window weighs as much as it overlaps
)
def test_the_window_slides_across_its_boundary(db, limits, seconds_later, allowed):
    """Spending the allowance just before a window ends does not buy a fresh one just after."""
    before_a_new_minute = math.ceil(time.time() / 60) * 60 - 0.1
    with time_machine.travel(before_a_new_minute, tick=False) as clock:
        request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4")
        assert all(ratelimit.consume(request, "lobby_lookup") for _ in range(20))
        assert not ratelimit.consume(request, "lobby_lookup")

        clock.shift(seconds_later)
        answers = [ratelimit.consume(request, "lobby_lookup") for _ in range(21)]
    assert answers == [True] * allowed + [False] * (21 - allowed)


def test_using_a_real_lobby_does_not_count(organizer_client, lobby, limits):
    url = reverse("lobbies:detail", args=[lobby.code])
    for _ in range(30):
        assert organizer_client.get(url).status_code == HTTPStatus.OK
    for code in wrong_codes(20):
        organizer_client.get(reverse("lobbies:find"), {"code": code})
    # The budget is for misses; once spent, even a real lobby waits, except for those who
    # already hold a seat in it: coming back to one's own lobby is not guessing.
    assert organizer_client.get(url).status_code == HTTPStatus.OK
    outsider_view = reverse("lobbies:find"), {"code": lobby.code}
    assert organizer_client.get(*outsider_view).status_code == HTTPStatus.TOO_MANY_REQUESTS
    stranger = Client(REMOTE_ADDR="127.0.0.1")
    assert stranger.get(url).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_seat_in_one_lobby_does_not_exempt_guessing_others(organizer_client, lobby, limits):
    answers = [
        organizer_client.get(reverse("lobbies:detail", args=[code])).status_code
        for code in wrong_codes(21)
    ]
    assert answers[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_a_burst_in_parallel_cannot_overshoot(db, limits, lobby):
    """Each lookup holds its slot while it runs, so only `limit` can be in flight at once
    however many arrive together; a hit gives its slot back."""
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.9")
    key, period, first = ratelimit._take(request, "lobby_lookup")
    held = [first] + [ratelimit._take(request, "lobby_lookup")[2] for _ in range(19)]
    assert held == list(range(1, 21))
    assert ratelimit._take(request, "lobby_lookup")[2] is None
    ratelimit._give_back(key, 7, period)
    assert ratelimit._take(request, "lobby_lookup")[2] == 7
    assert ratelimit._take(request, "lobby_lookup")[2] is None


def test_limits_are_per_client_behind_the_proxy(db, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def guesses(client: Client, forwarded: str) -> list[int]:
        return [
            client.get(
                reverse("lobbies:find"), {"code": code}, HTTP_X_FORWARDED_FOR=forwarded
            ).status_code
            for code in wrong_codes(21)
        ]

    first = guesses(Client(), "198.51.100.1")
    assert first[-1] == HTTPStatus.TOO_MANY_REQUESTS
    # Another client behind the same load balancer has its own budget...
    assert guesses(Client(), "198.51.100.2")[:20] == [HTTPStatus.NOT_FOUND] * 20
    # ...and the first cannot buy a new one by inventing the left part of the header.
    spoofed = Client().get(
        reverse("lobbies:find"), {"code": "ABCD2345"}, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1"
    )
    assert spoofed.status_code == HTTPStatus.TOO_MANY_REQUESTS


# --- creating lobbies and proposing places ---------------------------------------------------


def test_creating_lobbies_is_limited_but_form_errors_are_free(client, db, limits):
    for _ in range(5):
        bad = client.post(reverse("lobbies:create"), create_payload(title=""))
        assert bad.status_code == HTTPStatus.BAD_REQUEST
    made = [client.post(reverse("lobbies:create"), create_payload()).status_code for _ in range(11)]
    assert made == [HTTPStatus.FOUND] * 10 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert client.get(reverse("lobbies:create")).status_code == HTTPStatus.OK  # GET is free


def test_proposing_places_is_limited(organizer_client, lobby, limits, settings):
    settings.RATE_LIMITS = {**limits, "place_propose": (3, 600)}
    url = reverse("voting:propose", args=[lobby.code])
    answers = [
        organizer_client.post(url, {"name": f"Place {n}", "address": f"{n} Road"}).status_code
        for n in range(4)
    ]
    assert answers[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert HTTPStatus.TOO_MANY_REQUESTS not in answers[:3]
    assert len(load_lobby(lobby.code).places) == 3


# --- allauth's own limits, also in front of the admin ----------------------------------------


def test_failed_sign_ins_are_limited_even_for_the_right_password(client, user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/5m/key"}
    url = reverse("account_login")
    for _ in range(3):
        client.post(url, {"login": user.email, "password": "wrong"})
    right = client.post(url, {"login": user.email, "password": "correct horse battery"})
    assert right.status_code == HTTPStatus.OK  # the form, refused, not the redirect
    assert "_auth_user_id" not in client.session


def test_sign_in_attempts_get_429(client, user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login": "3/m/ip"}
    url = reverse("account_login")
    answers = [
        client.post(url, {"login": user.email, "password": "x"}).status_code for _ in range(4)
    ]
    assert answers[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_the_admin_cannot_be_brute_forced_around_allauth(client, db, django_user_model, settings):
    django_user_model.objects.create_user(
        username="boss", email="boss@example.com", password="the-right-one", is_staff=True
    )
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/5m/key"}
    for _ in range(5):
        # The admin's own form never checks a password: it sends everyone to allauth.
        answer = client.post(reverse("admin:login"), {"username": "boss", "password": "guess"})
        assert answer.status_code == HTTPStatus.FOUND
        assert answer["Location"].startswith(reverse("account_login"))
    for _ in range(3):
        client.post(reverse("account_login"), {"login": "boss@example.com", "password": "guess"})
    client.post(
        reverse("account_login"), {"login": "boss@example.com", "password": "the-right-one"}
    )
    assert client.get(reverse("admin:index")).status_code == HTTPStatus.FOUND


# --- across processes ------------------------------------------------------------------------

WORKER = """
import os, sys, time
import django
django.setup()
from django.test import RequestFactory
from letshangout import ratelimit
ip, start, tries = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
request = RequestFactory().get("/", REMOTE_ADDR=ip)
while time.time() < start:
    time.sleep(0.001)
print(sum(ratelimit.consume(request, "lobby_lookup") for _ in range(tries)))
"""


def reachable(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def postgres_cache():
    """A throwaway PostgreSQL database with the cache table, as the default cache."""
    if not reachable(5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import psycopg

    name = f"lho_ratelimit_{uuid.uuid4().hex[:8]}"
    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        pytest.skip(f"cannot create a PostgreSQL database: {error}")
    env = {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}", "CACHE_URL": ""}
    run_manage(env, "createcachetable")
    yield env
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_cache():
    if not reachable(6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return {"CACHE_URL": "redis://127.0.0.1:6379/15"}


def worker_env(extra: dict) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "letshangout.settings",
        "DJANGO_ENV": "development",
        "RATE_LIMIT_LOOKUP": "20",
        **extra,
    }


def run_manage(extra: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=worker_env(extra),
        check=True,
        capture_output=True,
        timeout=120,
    )


def allowed_across_processes(extra: dict, processes: int = 6, tries: int = 10) -> int:
    ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    start = time.time() + 3  # let every interpreter start before anyone counts
    if int(start // 60) != int((start + 5) // 60):
        start += 6  # keep the whole burst inside one fixed window
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, ip, str(start), str(tries)],
            cwd=BASE_DIR,
            env=worker_env(extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    total = 0
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert "rate limit cache unavailable" not in out + err
        total += int(out.strip().splitlines()[-1])
    return total


@pytest.mark.no_dynamodb
def test_exact_across_processes_on_postgresql(postgres_cache):
    assert allowed_across_processes(postgres_cache) == 20


@pytest.mark.no_dynamodb
def test_exact_across_processes_on_redis(redis_cache):
    assert allowed_across_processes(redis_cache) == 20


# --- actions in a lobby: per participant, with a looser per-address backstop -----------------


def _comment(client: Client, code: str, text: str) -> int:
    return client.post(reverse("lobbies:comment", args=[code]), {"text": text}).status_code


def test_comments_are_limited_per_participant_not_per_address(lobby, join_as, settings):
    """An office behind one address: Ben using up his comments does not silence Carla."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "comment_post": (3, 600),
        "comment_post_address": (100, 600),
    }
    ben, _ = join_as(lobby, "Ben")
    carla, _ = join_as(lobby, "Carla")
    answers = [_comment(ben, lobby.code, f"Ben {n}") for n in range(4)]
    assert answers[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert HTTPStatus.TOO_MANY_REQUESTS not in answers[:3]
    assert _comment(carla, lobby.code, "Carla is fine") != HTTPStatus.TOO_MANY_REQUESTS
    texts = [comment.text for comment in load_lobby(lobby.code).comments]
    assert "Carla is fine" in texts and "Ben 3" not in texts


def test_places_are_limited_per_participant_not_per_address(lobby, join_as, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "place_propose": (2, 600),
        "place_propose_address": (100, 600),
    }
    ben, _ = join_as(lobby, "Ben")
    carla, _ = join_as(lobby, "Carla")
    url = reverse("voting:propose", args=[lobby.code])
    answers = [ben.post(url, {"name": f"Ben's {n}"}).status_code for n in range(3)]
    assert answers[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert carla.post(url, {"name": "Carla's"}).status_code != HTTPStatus.TOO_MANY_REQUESTS


def test_one_address_still_has_a_looser_limit(lobby, join_as, settings):
    """Against a flood from one address through many seats."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "comment_post": (3, 600),
        "comment_post_address": (4, 600),
    }
    ben, _ = join_as(lobby, "Ben")
    carla, _ = join_as(lobby, "Carla")
    answers = [_comment(ben, lobby.code, f"Ben {n}") for n in range(3)]
    answers += [_comment(carla, lobby.code, f"Carla {n}") for n in range(2)]
    assert answers[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert HTTPStatus.TOO_MANY_REQUESTS not in answers[:4]
    texts = [comment.text for comment in load_lobby(lobby.code).comments]
    assert "Carla 0" in texts and "Carla 1" not in texts
