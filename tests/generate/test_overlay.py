"""The Study Mode overlay: the bundled text, its sha256, and errors for bad files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tutorloop.errors import ConfigError
from tutorloop.generate.overlay import Overlay, bundled_overlay_path, load_overlay


def test_bundled_overlay_loads_with_its_sha256() -> None:
    overlay = load_overlay(None)
    data = bundled_overlay_path().read_bytes()
    assert overlay.sha256 == hashlib.sha256(data).hexdigest()
    assert overlay.text == data.decode("utf-8")
    assert overlay.source == "bundled:study_mode.txt"
    assert load_overlay(bundled_overlay_path()) == overlay
    assert 250 <= len(overlay.text.split()) <= 400


def test_bundled_overlay_covers_the_rules() -> None:
    text = load_overlay().text.lower()
    for phrase in (
        "10th-grade",
        "one question at a time",
        "homework",
        "try twice",
        "never claim or pretend to be human",
        "personal information",
        "trusted adult",
        "crisis line",
    ):
        assert phrase in text


def test_overlay_is_frozen() -> None:
    overlay = load_overlay()
    with pytest.raises(AttributeError):
        overlay.text = "changed"  # type: ignore[misc]
    assert isinstance(overlay, Overlay)


def test_custom_overlay(tmp_path: Path) -> None:
    file = tmp_path / "mine.txt"
    file.write_text("Be a Socratic tutor.\n", encoding="utf-8")
    overlay = load_overlay(file)
    assert overlay.text == "Be a Socratic tutor.\n"
    assert overlay.sha256 == hashlib.sha256(b"Be a Socratic tutor.\n").hexdigest()
    assert overlay.source == str(file)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("missing.txt", None, "does not exist"),
        ("empty.txt", b"  \n\n", "empty"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "UTF-8"),
        ("folder", "dir", "cannot read"),
    ],
)
def test_bad_overlay_names_the_file(
    tmp_path: Path, name: str, content: bytes | str | None, words: str
) -> None:
    file = tmp_path / name
    if content == "dir":
        file.mkdir()
    elif isinstance(content, bytes):
        file.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_overlay(file)
    assert info.value.path == str(file)
    assert str(file) in info.value.message and words in info.value.message
