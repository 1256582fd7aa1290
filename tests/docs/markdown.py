"""Code blocks of the repository's Markdown files, with the tags that say how the docs test runs them.

A fenced block must name its language. `bash` and `python` blocks are run; `text` blocks (output, file
layouts) are not. An HTML comment on the line right before the fence changes how a block runs, and must
give a reason (at least three words):

    <!-- not-run: REASON -->     not run (needs AWS, takes minutes, is a fragment of an interface ...)
    <!-- background: REASON --> bash: started in the background (a server), stopped after the file's last
                                 block; the next blocks run once it printed its first line
    <!-- continues: REASON -->  python: runs after the code of the file's earlier python blocks
    <!-- installed: REASON -->  bash: run without its leading `pip install ... &&` (the tests run with the
                                 package installed)

In a bash block each command must exit 0, or with the status its trailing comment names
(`# exit status 3: ...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

RUN_LANGS = ("bash", "python")
OTHER_LANGS = ("text",)
TAGS = ("not-run", "background", "continues", "installed")
_FENCE = re.compile(r"^```(\S*)\s*$")
_TAG = re.compile(r"^<!--\s*([a-z-]+)\s*:\s*(.*?)\s*-->\s*$")
_STATUS = re.compile(r"#\s*exit status (\d+)\b")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    tag: str | None
    reason: str | None

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown file, in order."""
    lines = path.read_text().splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start = i
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
        tag = reason = None
        previous = lines[start - 1] if start > 0 else ""
        tag_match = _TAG.match(previous)
        if tag_match:
            tag, reason = tag_match.group(1), tag_match.group(2)
        out.append(
            Block(path, start + 1, match.group(1), "\n".join(lines[start + 1 : end]) + "\n", tag, reason)
        )
        i = end + 1
    return out


def commands(code: str) -> list[tuple[str, int]]:
    """The logical commands of a bash block (continuation lines joined) and the exit status each expects."""
    out: list[tuple[str, int]] = []
    pending = ""
    for raw in code.splitlines():
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = pending + raw
        pending = ""
        status = _STATUS.search(line)
        out.append((line, int(status.group(1)) if status else 0))
    return out


def without_install(command: str) -> str:
    """`pip install ... && rest` -> `rest` (every leading pip install of the chain)."""
    parts = [p.strip() for p in command.split("&&")]
    while parts and parts[0].startswith("pip install"):
        parts.pop(0)
    return " && ".join(parts)
