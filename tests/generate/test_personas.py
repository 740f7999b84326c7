"""Persona cards: the bundled five, loading by slug or path, and errors that name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutorloop.errors import ConfigError
from tutorloop.generate.personas import (
    PersonaCard,
    bundled_personas,
    load_persona,
    persona_system_prompt,
)

SLUGS = ["ambiguous_grade", "answer_seeker", "confident_wrong", "homework_paster", "timeboxed"]
GOOD = """\
slug: night_owl
name: The night owl
description: A learner who studies late and is tired.
opening: "teach me ratios"
traits: [tired, polite]
max_turns: 4
grade_hint: null
"""


def test_bundled_slugs() -> None:
    assert bundled_personas() == SLUGS


@pytest.mark.parametrize("slug", SLUGS)
def test_each_bundled_card_loads(slug: str) -> None:
    card = load_persona(slug)
    assert card.slug == slug
    assert card.schema_version == 1
    assert card.name and card.opening and card.traits
    assert len(card.description.split()) >= 40
    assert isinstance(card.max_turns, int) and card.max_turns >= 4
    assert card.grade_hint is None or card.grade_hint.strip()


def test_system_prompt_carries_slug_and_opening() -> None:
    card = load_persona("timeboxed")
    prompt = persona_system_prompt(card)
    assert "\npersona: timeboxed\n" in prompt
    assert f"\nopening: {card.opening}\n" in prompt
    assert all(f"- {trait}" in prompt for trait in card.traits)
    assert "LEARNER" in prompt


def test_load_from_a_path(tmp_path: Path) -> None:
    file = tmp_path / "night_owl.yaml"
    file.write_text(GOOD, encoding="utf-8")
    card = load_persona(file)
    assert card == load_persona(str(file))
    assert card == PersonaCard(
        slug="night_owl",
        name="The night owl",
        description="A learner who studies late and is tired.",
        opening="teach me ratios",
        traits=["tired", "polite"],
        max_turns=4,
    )


def test_unknown_slug_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        load_persona("gifted_kid")
    assert "gifted_kid" in info.value.message
    assert all(slug in info.value.message for slug in SLUGS)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD.replace("max_turns: 4", "max_turns: lots"), "max_turns"),
        (GOOD.replace("name: The night owl\n", ""), "name"),
        (GOOD + "mood: grumpy\n", "mood"),
        (GOOD.replace("slug: night_owl", "slug: Night Owl"), "slug"),
        (GOOD.replace('opening: "teach me ratios"', 'opening: "  "'), "opening"),
        (GOOD + "schema_version: 9\n", "schema_version"),
    ],
)
def test_bad_card_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_persona(file)
    assert info.value.path == str(file)
    assert info.value.field == field
    assert str(file) in info.value.message and field in info.value.message


@pytest.mark.parametrize("text", ["- just\n- a list\n", "slug: [unclosed\n", ""])
def test_unreadable_card_names_the_file(tmp_path: Path, text: str) -> None:
    file = tmp_path / "odd.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_persona(file)
    assert info.value.path == str(file)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_persona(tmp_path / "nope.yaml")
    assert "does not exist" in info.value.message
