"""How a run runs: where it is stored, how many items are in flight, when errors fail it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RunConfig(BaseModel):
    """One run's options, shared by every kind of run (grading, replay, alignment, the API)."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = None
    """Reuse an id to resume a run; a new id is made when absent."""
    store_path: Path | None = None
    """SQLite file; defaults to ``$TUTORLOOP_HOME`` or ``./.tutorloop/tutorloop.db``."""
    batch_size: int = 500
    """Results per store transaction."""
    flush_seconds: float = Field(default=1.0, gt=0)
    """Write a partial batch when it is this old."""
    max_in_flight: int | None = None
    """Items worked on at once; default twice the model calls' concurrency (one for a run that
    calls no model)."""
    fail_on_error: bool | int | float = False
    """When errored items fail the run: ``False`` never, ``True`` on the first, an int when more
    than that many errored, a float in (0, 1) when more than that share did. What finished is
    stored either way."""

    @field_validator("batch_size")
    @classmethod
    def _batch_at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("batch_size must be >= 1")
        return value

    @field_validator("max_in_flight")
    @classmethod
    def _in_flight_at_least_one(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("max_in_flight must be >= 1")
        return value

    @field_validator("fail_on_error")
    @classmethod
    def _threshold(cls, value: bool | int | float) -> bool | int | float:
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and not 0 < value < 1:
            raise ValueError("fail_on_error as a share must be between 0 and 1 (exclusive)")
        if isinstance(value, int) and value < 0:
            raise ValueError("fail_on_error as a count must be >= 0")
        return value

    def in_flight(self, concurrency: int | None = None) -> int:
        """Items in flight: :attr:`max_in_flight`, else twice ``concurrency``, else one."""
        if self.max_in_flight is not None:
            return self.max_in_flight
        return max(2, 2 * concurrency) if concurrency else 1


def errors_exceed(
    errored: int, worked: int, fail_on_error: bool | int | float, *, final: bool = True
) -> bool:
    """Whether ``errored`` of ``worked`` items pass ``fail_on_error`` (see :class:`RunConfig`).

    A share is judged only on the ``final`` count; ``True`` and a count as soon as passed.
    """
    if fail_on_error is False or errored == 0:
        return False
    if fail_on_error is True:
        return True
    if isinstance(fail_on_error, float):
        return final and errored / max(1, worked) > fail_on_error
    return errored > fail_on_error
