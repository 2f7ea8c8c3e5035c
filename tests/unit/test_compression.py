import gzip
import zlib

import pytest
from django.template import Context, Template

from letshangout.compression import PagePart, PartedResponse, gzip_parts

PAGE = [
    b"<!doctype html><main>" * 50,
    PagePart("<table>" + "<td>caf\u00e9 \u2013 ok</td>" * 2000 + "</table>"),
    b"<form><input name=csrfmiddlewaretoken value=abc></form>" * 3,
    PagePart("<option>Europe/Berlin</option>" * 400),
    PagePart("<p>twice</p>"),
    b"</main>",
]


def joined(parts) -> bytes:
    return b"".join(p.encoded if isinstance(p, PagePart) else p for p in parts)


def test_parts_make_one_gzip_file_of_the_whole_page():
    packed = gzip_parts(PAGE, max_random_bytes=100)
    assert gzip.decompress(packed) == joined(PAGE)  # checks the CRC and the length too
    assert len(packed) < len(joined(PAGE)) / 10


@pytest.mark.parametrize(
    "parts",
    [[b"just bytes" * 30], [PagePart("only a part" * 30)], [PagePart("x"), PagePart("y")], []],
)
def test_any_mix_of_parts_decompresses_to_its_bytes(parts):
    assert gzip.decompress(gzip_parts(parts, max_random_bytes=1)) == joined(parts)


def test_a_part_is_compressed_once_however_many_pages_use_it():
    part = PAGE[1]
    first = part.deflated
    gzip_parts(PAGE, max_random_bytes=100)
    assert part.deflated is first
    # a piece of its own: it decompresses alone, without what came before it
    assert zlib.decompressobj(-zlib.MAX_WBITS).decompress(first) == part.encoded


def test_the_header_has_a_random_length_name_against_breach():
    sizes = {len(gzip_parts(PAGE, max_random_bytes=100)) for _ in range(20)}
    assert len(sizes) > 1
    assert gzip_parts(PAGE, max_random_bytes=100)[3] & gzip.FNAME


def test_templates_show_a_part_as_the_html_it_holds():
    part = PagePart("<b>bold</b>")
    assert Template("{{ part }}").render(Context({"part": part})) == "<b>bold</b>"


def test_changing_the_content_afterwards_drops_the_parts():
    response = PartedResponse(PAGE)
    assert response.content == joined(PAGE) and response.parts is PAGE
    response.content = b"something else"
    assert response.parts is None
    written = PartedResponse(PAGE)
    written.write(b"<!-- more -->")
    assert written.parts is None


def test_the_middleware_sends_a_parted_page_as_its_parts_compressed(rf):
    from letshangout.middleware import GZipMiddleware

    grid = PagePart("<td>x</td>" * 500)
    page = [b"<main>" * 40, grid, b"</main>"]
    response = GZipMiddleware(lambda request: PartedResponse(page))(
        rf.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    )
    assert response["Content-Encoding"] == "gzip"
    assert int(response["Content-Length"]) == len(response.content)
    assert gzip.decompress(response.content) == joined(page)
    assert grid.deflated in response.content  # the part's stored piece, as it is
