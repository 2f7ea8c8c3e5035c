"""Copy deploy/lambda/smoke_hook.py into deploy/cloudformation.yaml's inline Lambda code.

    python3 deploy/lambda/embed.py

The template carries the code inline (Code.ZipFile), so deploying needs no bucket or package
step; tests/test_deploy_templates.py fails while the two differ.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent / "cloudformation.yaml"
SOURCE = HERE / "smoke_hook.py"
# The block scalar that follows this marker line is replaced.
MARKER = re.compile(r"^(?P<indent> *)ZipFile: \|\n", re.M)


def embed(template: str, code: str) -> str:
    match = MARKER.search(template)
    if match is None:
        raise SystemExit("no `ZipFile: |` line in the template")
    body_indent = match["indent"] + "  "
    start = end = match.end()
    lines = template[start:].splitlines(keepends=True)
    for line in lines:
        if line.strip() and not line.startswith(body_indent):
            break
        end += len(line)
    # Keep the blank line that separates the block from the next key.
    block = "".join(body_indent + line if line.strip() else line for line in code.splitlines(True))
    tail = template[end:]
    return template[:start] + block + ("\n" if not tail.startswith("\n") else "") + tail


def main() -> None:
    template = TEMPLATE.read_text()
    updated = embed(template, SOURCE.read_text())
    if updated != template:
        TEMPLATE.write_text(updated)
        print(f"updated {TEMPLATE.name}")
    else:
        print(f"{TEMPLATE.name} already carries the current code")


if __name__ == "__main__":
    main()
