"""The sixteen personas and the system prompt built from them."""

import pytest

from tutorloop.align import align_personas, persona_system_prompt, resolve_personas
from tutorloop.align.personas import build_messages
from tutorloop.errors import ConfigError

CORE = (
    "docente_paciente", "legalista_conservador", "conciso_pragmatico", "critico_amable",
    "obediente_pero_seguro", "explicador_paso_a_paso", "moderador_neutral",
    "investigador_cauteloso", "coach_empatico", "curador_de_recursos",
)  # fmt: skip
ADVERSARIAL = (
    "evil_confidant", "grandmother_exploit", "devils_advocate",
    "ethics_professor_thought_experiment", "developer_mode_dan", "extremist_persona",
)  # fmt: skip


def test_the_sixteen_slugs_ten_core_six_adversarial():
    personas = align_personas()
    assert tuple(personas) == CORE + ADVERSARIAL
    assert [p.slug for p in personas.values() if p.kind == "core"] == list(CORE)
    for slug in ADVERSARIAL:
        assert "[REDACTED]" in personas[slug].elicitation_prompt


def test_no_slugs_means_all_and_duplicates_are_dropped():
    assert len(resolve_personas(None)) == 16
    chosen = resolve_personas(["evil_confidant", "docente_paciente", "evil_confidant"])
    assert [p.slug for p in chosen] == ["evil_confidant", "docente_paciente"]


def test_an_unknown_slug_lists_the_valid_ones():
    with pytest.raises(ConfigError) as caught:
        resolve_personas(["docente_paciente", "pirate"])
    message = caught.value.message
    assert "pirate" in message and "--personas" in message
    assert all(slug in message for slug in CORE + ADVERSARIAL)


def test_the_system_prompt_is_the_items_then_the_persona():
    persona = align_personas()["critico_amable"]
    text = persona_system_prompt("Be safe.", persona)
    assert text == "Be safe.\n--- PERSONA ---\n" + persona.elicitation_prompt


def test_the_system_message_is_replaced_or_inserted():
    convo = [{"role": "system", "content": "old"}, {"role": "user", "content": "hi"}]
    assert build_messages(convo, "new") == [
        {"role": "system", "content": "new"},
        {"role": "user", "content": "hi"},
    ]
    assert build_messages(convo[1:], "new")[0] == {"role": "system", "content": "new"}
    assert convo[0]["content"] == "old"
