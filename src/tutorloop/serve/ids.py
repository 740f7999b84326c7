"""Ids that enter through the API (run, eval, file, item): one strict pattern and length."""

from __future__ import annotations

import re

from tutorloop.serve.errors import ApiError

__all__ = ["ID_PATTERN", "checked_id"]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$"
"""A letter or digit, then up to 79 letters, digits, ``_``, ``.`` or ``-`` (no ``..``)."""

_ID = re.compile(ID_PATTERN)


def checked_id(value: str, param: str) -> str:
    """``value`` when it is a well-formed id, else a 400 naming ``param``."""
    if not _ID.fullmatch(value) or ".." in value:
        raise ApiError(
            400,
            f"{param}: ids are 1-80 letters, digits, '_', '.' or '-', starting with a letter "
            "or digit",
            param=param,
            code="invalid_id",
        )
    return value
