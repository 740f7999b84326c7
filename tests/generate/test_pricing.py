"""Prices from the maintained table under a local override file; an unknown price is None."""

from pathlib import Path

import pytest

from tutorloop.align import DEFAULT_JUDGE_MODEL
from tutorloop.generate import TokenUsage, load_prices

MTOK = TokenUsage(input_tokens=1_000_000, output_tokens=1_000_000)


@pytest.mark.parametrize(
    "model",
    [
        DEFAULT_JUDGE_MODEL,
        "openai/gpt-4.1-mini",
        "openai/gpt-4o-mini",
        "anthropic/claude-sonnet-4-5",
        "anthropic/claude-haiku-4-5",
        "google/gemini-2.5-flash",
        "google/gemini-2.5-pro",
    ],
)
def test_current_models_and_the_default_judge_are_priced(model):
    cost = load_prices().cost(model, MTOK)
    assert cost is not None and cost > 0


def test_simulators_are_free_and_unknown_models_have_no_price():
    table = load_prices()
    assert table.cost("sim/study", MTOK) == 0
    assert table.cost("openai/my-local-vllm-model", MTOK) is None
    assert table.cost("nosuchvendor/whatever", MTOK) is None


def test_the_override_file_wins_model_by_model(tmp_path: Path):
    path = tmp_path / "prices.yaml"
    path.write_text(
        "models:\n"
        "  openai/gpt-4.1-mini: {input_per_mtok: 1, output_per_mtok: 2}\n"
        "  my-local-model: {input_per_mtok: 0, output_per_mtok: 0}\n",
        encoding="utf-8",
    )
    table = load_prices(path)
    assert table.cost("openai/gpt-4.1-mini", MTOK) == pytest.approx(3)
    assert table.cost("openai/my-local-model", MTOK) == 0  # a bare name matches any provider
    assert table.cost("sim/base", MTOK) == 0  # the bundled overrides stay
    assert table.cost("google/gemini-2.5-flash", MTOK) == load_prices().cost(
        "google/gemini-2.5-flash", MTOK
    )


def test_the_maintained_table_can_be_turned_off(tmp_path: Path):
    path = tmp_path / "prices.yaml"
    path.write_text("maintained: false\nmodels: {}\n", encoding="utf-8")
    assert load_prices(path).cost("openai/gpt-4.1-mini", MTOK) is None


@pytest.mark.parametrize(
    "model", ["anthropic/claude-haiku-4-5", "anthropic/claude-sonnet-4-5", "google/gemini-2.5-pro"]
)
@pytest.mark.parametrize("tokens", [(1234, 567), (300_000, 1_000)])
def test_per_token_prices_match_the_tables_own_calculation(model, tokens):
    from genai_prices import Usage, calc_price

    provider, name = model.split("/")
    exact = calc_price(Usage(input_tokens=tokens[0], output_tokens=tokens[1]), name,
                       provider_id=provider).total_price  # fmt: skip
    usage = TokenUsage(input_tokens=tokens[0], output_tokens=tokens[1])
    assert load_prices().cost(model, usage) == pytest.approx(float(exact), rel=1e-9)
