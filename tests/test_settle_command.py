"""manage.py settle_due_lobbies: automatic settling at the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from lobbies import services as lobby_services
from lobbies.codes import display_code
from tests.factories import make_settings
from tests.voting_support import (
    evening_window,
    mark,
    pass_deadline,
    propose,
    reload,
    set_lobby,
    slots,
    vote,
)
from voting import decisions
from voting.management.commands.settle_due_lobbies import Command


def run(*args) -> str:
    out = StringIO()
    call_command("settle_due_lobbies", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def new_lobby(user_id=None, **overrides):
    values = {"auto_settle": True, **overrides}
    membership = lobby_services.create_lobby(make_settings(**values), "Olivia", user_id)
    return membership.participant.code, membership.participant.participant_id


def answered_lobby(user_id=None, **overrides):
    """A lobby whose best pair is day 1 at 19:00 and "Sushi"."""
    code, owner = new_lobby(user_id, **overrides)
    ann = lobby_services.join_lobby(reload(code), "Ann", None).participant.participant_id
    start = evening_window(reload(code), 1, 19)
    mark(code, owner, yes=slots(start, 4))
    mark(code, ann, yes=slots(start, 4), maybe=slots(start + 4, 2))
    pizza = propose(code, owner, "Pizza")
    sushi = propose(code, ann, "Sushi")
    vote(code, owner, sushi.place_id, "yes")
    vote(code, ann, sushi.place_id, "yes")
    vote(code, ann, pizza.place_id, "no")
    pass_deadline(code)
    return code, start, sushi


@pytest.mark.django_db
class TestSettleDueLobbies:
    def test_settles_due_lobbies_on_the_recommended_pair(self):
        code, start, sushi = answered_lobby()
        output = run()
        lobby = reload(code).lobby
        assert lobby.status == "settled"
        assert lobby.decision.automatic is True
        assert lobby.decision.start_slot == start
        assert lobby.decision.place_id == sushi.place_id
        assert f"Settled {display_code(code)} “Friday drinks”" in output
        assert "at Sushi" in output
        assert "Settled 1 lobbies; skipped 0." in output

    def test_is_idempotent(self):
        code, _start, _sushi = answered_lobby()
        run()
        first = reload(code).lobby
        output = run()
        assert "No lobbies are due to settle." in output
        again = reload(code).lobby
        assert again.decision.settled_at == first.decision.settled_at
        assert again.rev == first.rev

    def test_dry_run_changes_nothing(self):
        code, _start, _sushi = answered_lobby()
        before = reload(code).lobby
        output = run("--dry-run")
        assert f"Would settle {display_code(code)}" in output
        assert "Would settle 1 lobbies" in output
        after = reload(code).lobby
        assert after.status == "open"
        assert after.rev == before.rev
        assert mail.outbox == []

    def test_leaves_other_lobbies_alone(self):
        manual, _owner = new_lobby(auto_settle=False)
        pass_deadline(manual)
        future, _owner = new_lobby(deadline=datetime.now(UTC) + timedelta(days=1))
        no_deadline, _owner = new_lobby()
        output = run()
        assert "No lobbies are due to settle." in output
        for code in (manual, future, no_deadline):
            assert reload(code).lobby.status == "open"

    def test_already_settled_lobby_is_not_touched(self):
        code, start, _sushi = answered_lobby()
        snapshot = reload(code)
        decisions.settle(snapshot, snapshot.lobby.owner_id, start + 2, None)
        run()
        decision = reload(code).lobby.decision
        assert decision.automatic is False
        assert decision.start_slot == start + 2

    def test_lobby_without_a_workable_time_is_skipped_and_reported(self):
        code, _owner = new_lobby()
        pass_deadline(code)
        output = run()
        assert f"Skipped {display_code(code)}" in output
        assert "nobody marked a time that works" in output
        assert reload(code).lobby.status == "open"

    def test_expired_lobby_is_skipped(self):
        code, _start, _sushi = answered_lobby()
        set_lobby(code, expires_at=int(datetime.now(UTC).timestamp()) - 10)
        assert "No lobbies are due to settle." in run()

    def test_emails_participants_with_the_event(self, django_user_model):
        user = django_user_model.objects.create_user(
            username="olivia", email="olivia@example.com", password="correct horse battery"
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        code, _start, _sushi = answered_lobby(user.pk)
        output = run()
        assert "1 emails sent" in output
        (message,) = mail.outbox
        assert message.to == ["olivia@example.com"]
        assert message.attachments[0].filename.endswith(".ics")
        assert f"/l/{code}/" in message.body

    def test_one_failing_lobby_does_not_stop_the_others(self, monkeypatch):
        good, _start, _sushi = answered_lobby()
        bad, _start2, _sushi2 = answered_lobby()
        real = decisions.settle_automatically

        def flaky(snapshot):
            if snapshot.code == bad:
                raise RuntimeError("boom")
            return real(snapshot)

        monkeypatch.setattr(decisions, "settle_automatically", flaky)
        with pytest.raises(CommandError, match="1 lobbies could not be settled"):
            run()
        assert reload(good).lobby.status == "settled"
        assert reload(bad).lobby.status == "open"

    def test_help_says_what_it_does_and_how_it_finds_lobbies(self):
        text = Command().create_parser("manage.py", "settle_due_lobbies").format_help()
        assert "--dry-run" in text
        assert "settle automatically" in text
        assert "Scan" in text
        assert "Idempotent" in text
