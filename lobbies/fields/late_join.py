"""The lobby settings' choice whether people may join once the lobby is settled."""

from __future__ import annotations

from dataclasses import replace

from django import forms
from django.utils.translation import gettext_lazy as _

from lobbies.people.seats import late_join_allowed
from lobbies.services import LobbySettings


class LateJoinField(forms.Form):
    """For the settings of an existing lobby, before LobbyForm in its bases. Not asked at
    creation: a new lobby follows its schedule (lobbies/seats.late_join_allowed)."""

    late_join = forms.BooleanField(
        label=_("Let people join after it is settled"),
        required=False,
        help_text=_("They see the time and place and can add it to their calendar."),
        widget=forms.CheckboxInput(attrs={"aria-describedby": "id_late_join_help"}),
    )

    def to_settings(self) -> LobbySettings:
        return replace(super().to_settings(), late_join=self.cleaned_data["late_join"])

    @classmethod
    def initial_from(cls, lobby) -> dict:
        return {**super().initial_from(lobby), "late_join": late_join_allowed(lobby)}
