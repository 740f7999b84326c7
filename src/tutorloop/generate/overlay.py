"""The Study Mode overlay: the system prompt a tutor runs under in the ``overlay`` condition.

tutorloop ships its own overlay text (``data/overlays/study_mode.txt``); a user may point at any
other UTF-8 text file instead. The text's sha256 is recorded with every replay, so results can
always be traced back to the exact overlay they were produced under.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from tutorloop.errors import ConfigError

BUNDLED_SOURCE = "bundled:study_mode.txt"
"""The ``source`` of the bundled overlay (stable across installs, unlike its path)."""


@dataclass(frozen=True)
class Overlay:
    """An overlay's text, the sha256 of its UTF-8 bytes, and where it came from."""

    text: str
    sha256: str
    source: str
    """``bundled:study_mode.txt`` for the bundled overlay, else the file's path."""


def bundled_overlay_path() -> Path:
    """The path of tutorloop's bundled Study Mode overlay."""
    return Path(str(files("tutorloop") / "data" / "overlays" / "study_mode.txt"))


def load_overlay(path: Path | None = None) -> Overlay:
    """Read an overlay file, or the bundled overlay when ``path`` is None.

    Args:
        path: A UTF-8 text file holding the system prompt, or None for the bundled one.

    Returns:
        The overlay, with the sha256 of the file's bytes.

    Raises:
        ConfigError: The file is missing, unreadable, not UTF-8 text, or empty; the message
            names the file.
    """
    bundled = bundled_overlay_path()
    file = Path(path) if path is not None else bundled
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError("the overlay file does not exist", path=str(file)) from exc
    except OSError as exc:
        reason = exc.strerror or exc
        raise ConfigError(f"cannot read the overlay: {reason}", path=str(file)) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"the overlay is not UTF-8 text (byte {exc.start})", path=str(file)
        ) from exc
    if not text.strip():
        raise ConfigError("the overlay is empty; it must hold the system prompt", path=str(file))
    source = BUNDLED_SOURCE if path is None or _same_file(file, bundled) else str(file)
    return Overlay(text=text, sha256=hashlib.sha256(data).hexdigest(), source=source)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
