"""Reading pages as assistive technology does: controls by their accessible names, and the
grids' cells by their place in the table."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Checkbox:
    name: str  # the form field
    value: str
    checked: bool
    disabled: bool  # itself, or inside a disabled fieldset


class _Collector(HTMLParser):
    """Every element's text by id, every checkbox with its naming attributes, and the body
    cells of every table with an id."""

    def __init__(self):
        super().__init__()
        self.texts: dict[str, list[str]] = {}
        self.open_ids: list[tuple[str, str]] = []  # (tag, id) of the elements being read
        self.boxes: list[dict] = []
        self.fieldsets: list[bool] = []  # disabled, for each fieldset we are in
        self.tables: dict[str, list[list[dict]]] = {}
        self.table_stack: list[str | None] = []
        self.cell: dict | None = None
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            self.fieldsets.append("disabled" in attrs)
        if tag == "input" and attrs.get("type") == "checkbox":
            if any(self.fieldsets):
                attrs["disabled"] = "disabled"
            self.boxes.append(attrs)
        if tag == "thead":
            self.in_head = True
        if tag == "table":
            self.table_stack.append(attrs.get("id"))
            if attrs.get("id"):
                self.tables[attrs["id"]] = []
        table = self.table_stack[-1] if self.table_stack else None
        if table and tag == "tr" and not self.in_head:
            self.tables[table].append([])
        if table and tag == "td" and not self.in_head and self.tables[table]:
            self.cell = {"attrs": attrs, "text": ""}
            self.tables[table][-1].append(self.cell)
        if "id" in attrs and tag not in {"input", "br", "img"}:
            self.texts[attrs["id"]] = []
            self.open_ids.append((tag, attrs["id"]))

    def handle_endtag(self, tag):
        if tag == "thead":
            self.in_head = False
        if tag == "fieldset" and self.fieldsets:
            self.fieldsets.pop()
        if tag == "table" and self.table_stack:
            self.table_stack.pop()
        if tag == "td":
            self.cell = None
        if self.open_ids and self.open_ids[-1][0] == tag:
            self.open_ids.pop()

    def handle_data(self, data):
        for _tag, element_id in self.open_ids:
            self.texts[element_id].append(data)
        if self.cell is not None:
            self.cell["text"] += data


def _collect(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def checkboxes(page: str) -> dict[str, Checkbox]:
    """The page's checkboxes by accessible name (aria-labelledby, else aria-label)."""
    collector = _collect(page)
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


def text_of(page: str, element_id: str) -> str:
    """The text inside the element with this id, with runs of white space as one space."""
    return " ".join("".join(_collect(page).texts.get(element_id, [])).split())


def table_cells(page: str, table_id: str) -> list[list[dict]]:
    """The data cells (td, not the th headers) of a table, row by row: each cell's
    attributes ("attrs") and text ("text")."""
    rows = _collect(page).tables.get(table_id, [])
    return [row for row in rows if row]


def my_grid(page: str) -> dict[int, str]:
    """My grid's state per lobby slot: y (yes), m (if need be), n (no) or x (does not exist)."""
    return {
        int(cell["attrs"]["data-s"]): cell["attrs"].get("data-st") or "n"
        for row in table_cells(page, "my-grid")
        for cell in row
        if cell["attrs"].get("data-s") is not None
    }


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids.extend(value for name, value in attrs if name == "id" and value)


def duplicate_ids(*parts: str) -> list[str]:
    """The ids used more than once across these pieces of HTML, as they stand in one page
    together (a page and the fragments htmx swaps into it)."""
    parser = _Ids()
    for part in parts:
        parser.feed(part)
    seen: set[str] = set()
    return sorted({i for i in parser.ids if i in seen or seen.add(i)})


# Attributes whose value names other elements by id (space-separated for the aria ones).
ID_REFERENCES = ("aria-describedby", "aria-labelledby", "for", "form")


class _References(_Ids):
    def __init__(self):
        super().__init__()
        self.references: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        for name, value in attrs:
            # <output for> and <label for> name ids; <form> has no "form" attribute of its own.
            if name in ID_REFERENCES and value and tag != "form":
                self.references.extend((name, target) for target in value.split())


def dangling_references(*parts: str) -> list[str]:
    """The id references (aria-describedby, aria-labelledby, label for, form) that point at
    no element, across these pieces of HTML as they stand in one page together."""
    parser = _References()
    for part in parts:
        parser.feed(part)
    ids = set(parser.ids)
    return sorted({f"{name}={target}" for name, target in parser.references if target not in ids})


# Elements that have no end tag, so they never contain anything.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass(frozen=True)
class Element:
    tag: str
    attrs: dict[str, str | None]
    ancestors: tuple[tuple[str, str | None], ...]  # (tag, id) of each enclosing element
    before: str  # for the first element of a piece of HTML, the text before it

    def inside(self, element_id: str) -> bool:
        return any(ancestor_id == element_id for _tag, ancestor_id in self.ancestors)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[Element] = []
        self.open: list[tuple[str, str | None]] = []
        self.before = ""  # the text before the first element

    def handle_starttag(self, tag, attrs):
        self.handle_startendtag(tag, attrs)
        if tag not in VOID:
            self.open.append((tag, dict(attrs).get("id")))

    def handle_startendtag(self, tag, attrs):
        before = "" if self.found else self.before
        self.found.append(Element(tag, dict(attrs), tuple(self.open), before))

    def handle_endtag(self, tag):
        # Close up to the matching open element (browsers forgive a missing end tag).
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        if not self.found:
            self.before += data


def elements(page: str, tag: str | None = None) -> list[Element]:
    """Every element (or every element of this tag), in document order, with its attributes
    however they are laid out in the source."""
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return [found for found in parser.found if tag is None or found.tag == tag]


def first_element(fragment: str) -> Element:
    """The first element of a piece of HTML (an htmx answer); .before is what precedes it."""
    return elements(fragment)[0]


class _WrappedBoxes(HTMLParser):
    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.label: list[str] | None = None
        self.checked: bool | None = None
        self.found: dict[str, bool] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.label, self.checked = [], None
        if tag == "input" and attrs.get("type") == "checkbox" and attrs.get("name") == self.name:
            self.checked = "checked" in attrs

    def handle_endtag(self, tag):
        if tag == "label" and self.label is not None:
            if self.checked is not None:
                self.found[" ".join("".join(self.label).split())] = self.checked
            self.label = None

    def handle_data(self, data):
        if self.label is not None:
            self.label.append(data)


def wrapped_checkboxes(page: str, name: str) -> dict[str, bool]:
    """The checkboxes of this form field that sit inside their <label>, by the label's text
    (white space collapsed): ticked or not."""
    parser = _WrappedBoxes(name)
    parser.feed(page)
    return parser.found
