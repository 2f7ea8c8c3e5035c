"""Gzip for pages, with the big parts many pages repeat compressed once, not once a page.

A gzip body is one deflate stream, and a deflate stream may be cut into pieces compressed on
their own: each piece ends on a byte boundary (a sync flush) and refers to nothing before it.
So a lobby's group view, the same for every viewer until the lobby changes, is compressed the
first time it is shown (`PagePart`), and each page compresses only its own bytes around it.
A big lobby page is ~400 KB of HTML, and compressing all of it was its largest single cost.

Each piece compressed alone also means that a piece's compressed length says nothing about
what the other pieces hold (BREACH works by matching a secret against reflected text); pages
keep Django's defence as well, a gzip header of random length.
"""

from __future__ import annotations

import gzip
import secrets
import struct
import zlib
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.safestring import SafeString, mark_safe

# zlib level 3, not Django's 6: a big lobby page compresses in 1.7 ms instead of 4.6 ms, for
# 12 % more bytes (45 KB instead of 40 KB).
PAGE_COMPRESS_LEVEL = 3

_RAW_DEFLATE = -zlib.MAX_WBITS  # no zlib or gzip framing: gzip_parts writes its own


def deflate_piece(data: bytes) -> bytes:
    """`data` as a deflate piece that any other piece may follow or precede."""
    packer = zlib.compressobj(PAGE_COMPRESS_LEVEL, zlib.DEFLATED, _RAW_DEFLATE)
    return packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)


# An empty final block: what ends the stream after the last piece.
_END_OF_STREAM = zlib.compressobj(PAGE_COMPRESS_LEVEL, zlib.DEFLATED, _RAW_DEFLATE).flush()


class PagePart:
    """HTML that many pages repeat, encoded and compressed once, however many pages it goes
    into. Templates show it like any safe string; PartedResponse keeps its compressed form."""

    # Only the bytes are kept (a big grid's are ~180 KB): pages are assembled from them.
    __slots__ = ("_deflated", "encoded")

    def __init__(self, html: str):
        self.encoded = html.encode()  # callers build it escaped
        self._deflated: bytes | None = None

    def __html__(self) -> SafeString:
        return mark_safe(self.encoded.decode())

    def __str__(self) -> str:
        return self.__html__()

    def __len__(self) -> int:
        return len(self.encoded)

    @property
    def deflated(self) -> bytes:
        # Unlocked: two threads may both compress it, and either result is right.
        if self._deflated is None:
            self._deflated = deflate_piece(self.encoded)
        return self._deflated


def _pieces(parts: Iterable[bytes | PagePart]) -> Iterable[bytes]:
    """The parts' deflate pieces: PageParts' stored ones, the bytes between them compressed
    together now."""
    pending: list[bytes] = []
    for part in parts:
        if isinstance(part, PagePart):
            if pending:
                yield deflate_piece(b"".join(pending))
                pending = []
            yield part.deflated
        else:
            pending.append(part)
    if pending:
        yield deflate_piece(b"".join(pending))


def gzip_parts(parts: Sequence[bytes | PagePart], max_random_bytes: int) -> bytes:
    """One gzip file of the parts joined, with a file name of random length in its header
    (as django.utils.text.compress_string does, against BREACH)."""
    crc = 0
    for part in parts:
        crc = zlib.crc32(part.encoded if isinstance(part, PagePart) else part, crc)
    size = sum(len(part) for part in parts)
    header = struct.pack("<4BIBB", 0x1F, 0x8B, zlib.DEFLATED, gzip.FNAME, 0, 0, 255)
    name = b"a" * secrets.randbelow(max_random_bytes) + b"\x00"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return b"".join([header, name, *_pieces(parts), _END_OF_STREAM, trailer])


class PartedResponse(HttpResponse):
    """A page given as parts, so that GZipMiddleware can reuse its PageParts' compressed
    form. Anything that changes the content afterwards leaves a plain response."""

    def __init__(self, parts: Sequence[bytes | PagePart], **kwargs):
        super().__init__(
            b"".join(p.encoded if isinstance(p, PagePart) else p for p in parts), **kwargs
        )
        self.parts: Sequence[bytes | PagePart] | None = parts

    @HttpResponse.content.setter
    def content(self, value):
        HttpResponse.content.fset(self, value)
        self.parts = None

    def write(self, content):
        super().write(content)
        self.parts = None
