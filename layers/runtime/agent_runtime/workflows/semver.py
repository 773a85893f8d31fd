"""Semantic versions (MAJOR.MINOR.PATCH[-pre]) and their ordering."""

from __future__ import annotations

import re

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$")


def is_semver(version: str) -> bool:
    return bool(_SEMVER.match(version))


def sort_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    match = _SEMVER.match(version)
    if not match:
        raise ValueError(f"not a semantic version: {version!r}")
    major, minor, patch, pre = match.groups()
    # A release sorts after its pre-releases; numeric pre-release parts sort before text ones.
    pre_parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    return int(major), int(minor), int(patch), 0 if pre else 1, pre_parts
