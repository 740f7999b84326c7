"""One item as read back from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from pydantic import ValidationError

from tutorloop.errors import StoreError
from tutorloop.records import EvalResult, GraderError
from tutorloop.store._rows import summarize

__all__ = ["StoredItem"]


@dataclass(frozen=True)
class StoredItem:
    """A stored item; ``result`` is parsed from ``result_json`` on first access."""

    item_key: str
    session_id: str
    condition: str | None
    domain: str | None
    source: str | None
    status: Literal["done", "error"]
    result_json: str | None = field(repr=False)
    error_type: str | None
    error_message: str | None
    seq: int

    @cached_property
    def result(self) -> EvalResult | None:
        """The item's EvalResult, or None for an errored item without one.

        Raises:
            StoreError: the stored JSON is not an EvalResult this tutorloop can read.
        """
        if self.result_json is None:
            return None
        try:
            return EvalResult.model_validate_json(self.result_json)
        except ValidationError as exc:
            raise StoreError(
                f"the stored result of item {self.item_key!r} cannot be read: {summarize(exc)}; "
                "upgrade tutorloop if a newer version wrote this store"
            ) from exc

    @property
    def error(self) -> GraderError | None:
        """The item's error as a GraderError, or None."""
        if self.error_type is None and self.error_message is None:
            return None
        return GraderError(type=self.error_type or "", message=self.error_message or "")
