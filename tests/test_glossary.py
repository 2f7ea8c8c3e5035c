"""Every catalog keeps to locale/GLOSSARY.md: an entry whose English names a glossary term
("settle", "settled", "deadline"…) never uses a word the glossary rejects for that term in
its language ("décidé" for "settled" in French)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
GLOSSARY = LOCALE / "GLOSSARY.md"
LANGUAGES = ("en", "de", "fr", "es", "it", "pt-BR", "nl", "pl", "ja", "ar")
TERMS = (
    "lobby",
    "organizer",
    "participant",
    "settle",
    "heatmap",
    "if need be",
    "deadline",
    "time zone",
    "personal link",
    "slot",
    "daily window",
)
# Written without spaces between words (ja), or with the article joined to the word (ar):
# a rejected word is looked for anywhere, not as a whole word.
NO_WORD_BOUNDARIES = {"ja", "ar"}
# Placeholders are code, not words: "%(slot)s" names no slot.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{ *\w+ *\}\}|%s|%d")


@dataclass(frozen=True)
class Section:
    address: str
    use: dict[str, str]
    reject: dict[str, tuple[str, ...]]


def _words(cell: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in cell.split(",") if word.strip())


def parse_glossary(text: str) -> dict[str, Section]:
    """language code -> its form of address and its table."""
    sections = {}
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        code, _newline, body = block.partition("\n")
        address = re.search(r"^Form of address: (.+)$", body, re.M)
        rows = re.findall(r"^\| *([^|]+?) *\| *([^|]+?) *\| *([^|]*?) *\|$", body, re.M)
        table = [row for row in rows if row[0] != "term" and not set(row[0]) <= {"-"}]
        sections[code.strip()] = Section(
            address=address[1] if address else "",
            use={term: use for term, use, _reject in table},
            reject={term: _words(reject) for term, _use, reject in table},
        )
    return sections


def _contains(text: str, word: str, whole_words: bool) -> bool:
    if not whole_words:
        return word.casefold() in text.casefold()
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.I) is not None


def offences(catalog: polib.POFile, language: str, glossary: dict[str, Section]) -> list[str]:
    """Each entry that uses a rejected word for a term its English names."""
    english_forms = {term: _words(use) for term, use in glossary["en"].use.items()}
    rejected = glossary[language].reject
    whole_words = language not in NO_WORD_BOUNDARIES
    found = []
    for entry in catalog:
        if entry.obsolete:
            continue
        english = PLACEHOLDER.sub(" ", f"{entry.msgid} {entry.msgid_plural or ''}")
        translated = PLACEHOLDER.sub(" ", " ".join([entry.msgstr, *entry.msgstr_plural.values()]))
        for term, forms in english_forms.items():
            if not any(_contains(english, form, True) for form in forms):
                continue
            for word in rejected.get(term, ()):
                if _contains(translated, word, whole_words):
                    found.append(f"{term}: “{word}” in {entry.msgid!r} -> {translated!r}")
    return found


def _catalogs() -> list:
    params = []
    for language in LANGUAGES[1:]:
        directory = LOCALE / language.replace("-", "_") / "LC_MESSAGES"
        for path in sorted(directory.glob("*.po")):
            params.append(pytest.param(language, path, id=f"{language}/{path.name}"))
    return params


@pytest.fixture(scope="module")
def glossary() -> dict[str, Section]:
    return parse_glossary(GLOSSARY.read_text(encoding="utf-8"))


def test_every_language_has_an_address_and_every_term(glossary):
    assert set(glossary) == set(LANGUAGES)
    for language, section in glossary.items():
        assert section.address, language
        assert set(section.use) == set(TERMS), language
        assert all(section.use.values()), language


def test_every_language_has_its_catalogs():
    assert len(_catalogs()) == 2 * (len(LANGUAGES) - 1)


@pytest.mark.parametrize(("language", "path"), _catalogs())
def test_catalog_keeps_to_the_glossary(glossary, language, path):
    catalog = polib.pofile(str(path))
    if not catalog.translated_entries():
        pytest.skip(f"{path.parent.parent.name}: not translated yet")
    found = offences(catalog, language, glossary)
    assert not found, f"{len(found)} entries use rejected words:\n" + "\n".join(found)


def _catalog_of(*pairs: tuple[str, str]) -> polib.POFile:
    catalog = polib.POFile()
    for msgid, msgstr in pairs:
        catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    return catalog


def test_a_planted_wrong_term_is_found(glossary):
    catalog = _catalog_of(
        ("The lobby is settled.", "La date du salon est fixée."),
        ("“%(title)s” is settled.", "«\u202f%(title)s\u202f» est décidé."),
    )
    found = offences(catalog, "fr", glossary)
    assert len(found) == 1 and "décidé" in found[0]


def test_a_rejected_word_counts_only_where_the_english_names_the_term(glossary):
    # "décider" outside an entry about settling, and a "Zeitraum" that merely contains "Raum".
    assert not offences(_catalog_of(("Choose a day.", "Décider d’un jour.")), "fr", glossary)
    assert not offences(_catalog_of(("Lobby period", "Lobby-Zeitraum")), "de", glossary)


def test_languages_without_spaces_are_searched_inside_words(glossary):
    catalog = _catalog_of(("The deadline has passed.", "締め切りを過ぎました。"))
    assert len(offences(catalog, "ja", glossary)) == 1
