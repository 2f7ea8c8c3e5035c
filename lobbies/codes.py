"""Lobby codes and personal tokens: pure functions, no storage.

A code is 8 characters of Crockford base32 (40 random bits), shown as ABCD-EFGH. People read
codes aloud and type them on phones, so parsing forgives case, dashes, spaces and the letters
Crockford maps onto digits (I and L are 1, O is 0).
"""

from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_TYPO_MAP = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """The canonical code for what someone typed, or None when it cannot be a code."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    compact = _SEPARATORS.sub("", text).upper().translate(_TYPO_MAP)
    return compact if _VALID.match(compact) else None


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_id(length: int = 10) -> str:
    """Short random ids for participants and places (50 bits: unique within one lobby)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length)).lower()


_ID = re.compile(rf"^[{ALPHABET.lower()}]{{10}}$")


def is_id(text: str) -> bool:
    """Whether `text` could be an id `new_id` made (a place's, a participant's)."""
    return isinstance(text, str) and _ID.match(text) is not None


def new_token() -> str:
    """A 128-bit personal-link token; only its hash is stored."""
    return secrets.token_urlsafe(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
