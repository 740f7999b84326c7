"""Prices: a maintained table (``genai-prices``) under a local override file.

The cost of a call comes from the first of:

1. the override table, a YAML file of USD per million input and output tokens per model
   (``--prices FILE`` / :attr:`CallPolicy.prices_path`, over the bundled file that prices the
   simulators at zero); a ``provider/model`` entry, else a bare model name;
2. ``genai-prices``, pydantic's maintained table of every major vendor's models (tiers and
   dated price changes included), looked up by provider and model;
3. nothing: the price is unknown, the cost is None (never 0), and summaries say so.

``genai-prices`` is read from the copy installed with it; it never fetches prices at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.generate.types import TokenUsage
from tutorloop.load import load_yaml_model


class Price(BaseModel):
    """USD per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class PriceTable(BaseModel):
    """Override prices by ``provider/model`` (a bare model name matches any provider).

    A model not listed here is priced from the maintained table (``genai-prices``), unless
    ``maintained`` is off.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    models: dict[str, Price] = Field(default_factory=dict)
    maintained: bool = True
    """Fall back to the maintained table for models not listed here."""

    def cost(self, model: str, usage: TokenUsage) -> float | None:
        """Cost of ``usage`` on ``model`` in USD, or None when the model has no known price."""
        price = self.models.get(model) or self.models.get(model.split("/", 1)[-1])
        if price is not None:
            return (
                usage.input_tokens * price.input_per_mtok
                + usage.output_tokens * price.output_per_mtok
            ) / 1e6
        if not self.maintained:
            return None
        return maintained_cost(model, usage.input_tokens, usage.output_tokens)


def maintained_cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """The cost in USD from ``genai-prices`` for ``provider/model`` (or a bare model name)."""
    rates = _rates(model, date.today().isoformat())
    if rates is None:
        return None
    if rates.linear:
        return input_tokens * rates.input + output_tokens * rates.output
    return _calc(model, input_tokens, output_tokens)


@dataclass(frozen=True)
class _Rates:
    input: float
    """USD per input token (at the lowest tier)."""
    output: float
    linear: bool
    """False when the price depends on the size of the request (tiers): then ask each time."""


@lru_cache(maxsize=1024)
def _rates(model: str, day: str) -> _Rates | None:
    """A model's per-token prices on ``day`` (so a dated price change is seen the next day).

    ``genai-prices`` computes each price in decimals through its tiers (about 0.3 ms); a model
    without tiers is priced per token instead, which is exact for input and output tokens.
    """
    small, large = 1_000, 1_000_000
    low_in, low_out = _calc(model, small, 0), _calc(model, 0, small)
    high_in, high_out = _calc(model, large, 0), _calc(model, 0, large)
    if low_in is None or low_out is None or high_in is None or high_out is None:
        return None
    rate_in, rate_out = low_in / small, low_out / small
    linear = math.isclose(high_in, rate_in * large, rel_tol=1e-9) and math.isclose(
        high_out, rate_out * large, rel_tol=1e-9
    )
    return _Rates(rate_in, rate_out, linear)


def _calc(model: str, input_tokens: int, output_tokens: int) -> float | None:
    from genai_prices import Usage, calc_price  # imported when first priced: keeps startup quick

    provider, sep, name = model.partition("/")
    if not sep:
        provider, name = "", model
    try:
        found = calc_price(
            Usage(input_tokens=input_tokens, output_tokens=output_tokens),
            name,
            provider_id=provider or None,
        )
    except LookupError:
        return None
    return float(found.total_price)


def bundled_prices_path() -> Path:
    """The override table that ships with tutorloop: the simulators, free (the format's example)."""
    return Path(str(files("tutorloop") / "data" / "prices.yaml"))


def load_prices(path: Path | None = None) -> PriceTable:
    """The bundled overrides, then those of ``path`` over them; errors name the file and field."""
    bundled = load_yaml_model(bundled_prices_path(), PriceTable, "the price table")
    if path is None:
        return bundled
    own = load_yaml_model(path, PriceTable, "the price table")
    return own.model_copy(update={"models": {**bundled.models, **own.models}})
