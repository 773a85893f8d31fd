"""docs/decisions.md: every decision's first line is its date and status, and a status that names a
later decision names one that exists (issue 22: decisions were edited in place with neither)."""

from __future__ import annotations

import re
from pathlib import Path

DECISIONS = Path(__file__).resolve().parents[1] / "docs" / "decisions.md"
HEADING = re.compile(r"^## (\d+|XX)\. \S")
STATUS = re.compile(r"^\*(\d{4}-\d{2}-\d{2}) · (accepted|amended by \d+|superseded by \d+)\b.*\*$")


def problems(markdown: str) -> list[str]:
    """What is wrong with the decisions' first lines, numbering and status references."""
    lines = markdown.splitlines()
    headings = [(i, m.group(1)) for i, line in enumerate(lines) if (m := HEADING.match(line))]
    numbers = [int(n) for _, n in headings if n != "XX"]
    found: list[str] = []
    if numbers != list(range(1, len(numbers) + 1)):
        found.append(f"decisions are not numbered 1..{len(numbers)} in order")
    previous_date = ""
    for index, number in headings:
        first = lines[index + 1] if index + 1 < len(lines) else ""
        status = STATUS.match(first)
        if not status:
            found.append(f"decision {number}: first line {first!r} is not `*YYYY-MM-DD · <status>*`")
            continue
        date, word = status.groups()
        if date < previous_date:
            found.append(f"decision {number}: dated {date}, before the decision above it ({previous_date})")
        previous_date = date
        for later in re.findall(r"(?:amended|superseded) by (\d+)", first):
            if number == "XX" or not int(number) < int(later) <= len(numbers):
                found.append(f"decision {number}: {word} names decision {later}, not a later one")
    return found


def test_every_decision_has_a_date_and_a_status() -> None:
    assert problems(DECISIONS.read_text(encoding="utf-8")) == []


def test_the_check_finds_a_missing_status_and_a_bad_reference() -> None:
    good = "## 1. A\n*2026-11-23 · superseded by 2*\n\ntext\n\n## 2. B\n*2026-11-24 · accepted*\n"
    assert problems(good) == []
    assert problems(good.replace("*2026-11-24 · accepted*", "text")) == [
        "decision 2: first line 'text' is not `*YYYY-MM-DD · <status>*`"
    ]
    assert problems(good.replace("superseded by 2", "superseded by 3")) == [
        "decision 1: superseded by 3 names decision 3, not a later one"
    ]
    assert problems(good.replace("2026-11-24", "2026-11-22")) == [
        "decision 2: dated 2026-11-22, before the decision above it (2026-11-23)"
    ]
    assert problems(good + "\n## XX. C\n*2026-12-07 · accepted*\n") == []
