"""The price table: USD per million input and output tokens, per model, in a YAML file."""

from __future__ import annotations

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
    """Prices by ``provider/model`` (a bare model name matches any provider)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    models: dict[str, Price] = Field(default_factory=dict)

    def cost(self, model: str, usage: TokenUsage) -> float | None:
        """Cost of ``usage`` on ``model`` in USD, or None when the model has no price."""
        price = self.models.get(model) or self.models.get(model.split("/", 1)[-1])
        if price is None:
            return None
        return (
            usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok
        ) / 1e6


def bundled_prices_path() -> Path:
    """The price table that ships with tutorloop (edit a copy and pass it with ``--prices``)."""
    return Path(str(files("tutorloop") / "data" / "prices.yaml"))


def load_prices(path: Path | None = None) -> PriceTable:
    """Read a price table; errors name the file and the field."""
    return load_yaml_model(path or bundled_prices_path(), PriceTable, "the price table")
