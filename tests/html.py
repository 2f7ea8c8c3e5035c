"""Reading pages as assistive technology does: controls by their accessible names."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Checkbox:
    name: str  # the form field
    value: str
    checked: bool
    disabled: bool


class _Collector(HTMLParser):
    """Every element's text by id, and every checkbox with its naming attributes."""

    def __init__(self):
        super().__init__()
        self.texts: dict[str, list[str]] = {}
        self.open_ids: list[tuple[str, str]] = []  # (tag, id) of the elements being read
        self.boxes: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "checkbox":
            self.boxes.append(attrs)
        if "id" in attrs and tag not in {"input", "br", "img"}:
            self.texts[attrs["id"]] = []
            self.open_ids.append((tag, attrs["id"]))

    def handle_endtag(self, tag):
        if self.open_ids and self.open_ids[-1][0] == tag:
            self.open_ids.pop()

    def handle_data(self, data):
        for _tag, element_id in self.open_ids:
            self.texts[element_id].append(data)


def checkboxes(page: str) -> dict[str, Checkbox]:
    """The page's checkboxes by accessible name (aria-labelledby, else aria-label)."""
    collector = _Collector()
    collector.feed(page)
    found = {}
    for attrs in collector.boxes:
        if "aria-labelledby" in attrs:
            parts = ["".join(collector.texts[i]).strip() for i in attrs["aria-labelledby"].split()]
            label = " ".join(parts)
        else:
            label = attrs.get("aria-label", "")
        found[label] = Checkbox(
            name=attrs.get("name", ""),
            value=attrs.get("value", ""),
            checked="checked" in attrs,
            disabled="disabled" in attrs,
        )
    return found
