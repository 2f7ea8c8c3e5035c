"""The scripts as served: the same code as static/js/, without whole comment lines."""

from __future__ import annotations

import pytest

from letshangout.management.commands.build_scripts import SOURCE_DIR, served_script

pytestmark = pytest.mark.no_dynamodb


def test_only_whole_comment_lines_go():
    source = 'var a = "http://x"; // kept: code on the line\n  // gone\nvar b = 1;\n'
    assert served_script(source) == 'var a = "http://x"; // kept: code on the line\nvar b = 1;\n'


@pytest.mark.parametrize("path", sorted(SOURCE_DIR.glob("*.js")), ids=lambda p: p.name)
def test_every_script_keeps_its_code(path):
    source = path.read_text(encoding="utf-8")
    served = served_script(source)
    code = [line for line in source.splitlines() if not line.lstrip().startswith("//")]
    assert served.splitlines() == code
