"""The documents hold together: every relative link in README.md and docs/*.md (pictures
included) reaches a file that exists and, with a ``#anchor``, a heading of that file (GitHub's
anchors); the README has one section per topic; and ``.ci/run`` runs the README's test command
word for word. Each check is shown to fail on a planted tree."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import REPO

FENCE = re.compile(r"^\s*(```|~~~)")
# [text](target) and ![alt](target); the target ends at a space (a title) or the bracket
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE_SPAN = re.compile(r"`[^`]*`")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def documents(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced and indented code blocks."""
    lines, fenced, indented, previous_blank = [], False, False, True
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        # an indented block starts after a blank line and goes on over blank lines
        indented = line.startswith("    ") and (previous_blank or indented) or (indented and not line.strip())
        previous_blank = not line.strip()
        if not fenced and not indented:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: links and code marks dropped, lower case, punctuation
    other than '-' and '_' removed, spaces made hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def broken_links(root: Path) -> list[str]:
    problems = []
    for doc in documents(root):
        if not doc.exists():
            continue
        for line in prose_lines(doc.read_text(encoding="utf-8")):
            for target in LINK.findall(CODE_SPAN.sub("", line)):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                    continue
                file_part, _, anchor = target.partition("#")
                where = (doc.parent / file_part).resolve() if file_part else doc
                name = f"{doc.relative_to(root)}: ({target})"
                if not where.exists():
                    problems.append(f"{name}: no such file")
                elif anchor and (where.suffix != ".md" or anchor not in anchors(where)):
                    problems.append(f"{name}: no heading with that anchor")
    return problems


def test_every_relative_link_reaches_a_file_and_heading():
    assert broken_links(REPO) == []


def test_a_broken_link_or_anchor_is_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## The window\n\n## The window\n\n```\n[in code](nowhere.md)\n```\n")
    (tmp_path / "README.md").write_text(
        "# App\n\n[ok](docs/guide.md#the-window) [second](docs/guide.md#the-window-1) [web](https://example.com)\n"
        "[gone](docs/missing.md) ![pic](docs/images/a.png) [bad anchor](docs/guide.md#the-door)\n"
        "`[in a code span](nowhere.md)` [self](#app) [self bad](#nope)\n"
    )
    assert broken_links(tmp_path) == [
        "README.md: (docs/missing.md): no such file",
        "README.md: (docs/images/a.png): no such file",
        "README.md: (docs/guide.md#the-door): no heading with that anchor",
        "README.md: (#nope): no heading with that anchor",
    ]


def test_slugs_follow_github():
    assert slug("What a style's .cube holds, and how strongly") == "what-a-styles-cube-holds-and-how-strongly"
    assert slug("CI: what .ci/run does") == "ci-what-cirun-does"
    assert slug("Several machines (PostgreSQL)") == "several-machines-postgresql"
    assert slug("The `diagnostics.sleep` job") == "the-diagnosticssleep-job"


def readme_commands(readme: Path) -> list[str]:
    """The lines of the README's fenced code blocks."""
    lines, fenced = [], False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif fenced:
            lines.append(line.strip())
    return lines


def ci_test_command(ci_run: Path) -> str:
    """The last command of .ci/run (comments and blank lines aside)."""
    commands = [line.strip() for line in ci_run.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return commands[-1]


def test_ci_runs_the_readmes_test_command_word_for_word():
    command = ci_test_command(REPO / ".ci" / "run")
    assert "pytest" in command
    assert command in readme_commands(REPO / "README.md")


def test_a_ci_command_the_readme_lacks_is_found(tmp_path):
    (tmp_path / "README.md").write_text("```sh\npython -m pytest\n```\n\npython -m pytest -x\n")
    (tmp_path / "run").write_text("#!/bin/sh\n# comment\npython -m pytest -x\n\n")
    assert ci_test_command(tmp_path / "run") not in readme_commands(tmp_path / "README.md")


def test_the_readme_has_one_section_per_topic():
    headings = [m.group(2) for line in prose_lines((REPO / "README.md").read_text()) if (m := HEADING.match(line))]
    assert len(headings) == len(set(headings)), headings
    assert sum("install" in h.lower() for h in headings) == 1, headings
