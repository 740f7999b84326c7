"""The versioned base every persisted record shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

Migration = Callable[[dict[str, Any]], dict[str, Any]]
M = TypeVar("M", bound=BaseModel)


def trusted(model: type[M], values: dict[str, Any]) -> M:
    """A ``model`` holding ``values`` as they are: every field given, nothing validated.

    For hot paths that build records from their own typed values, exactly as validation would
    leave them (plain ``str``, ``float`` and ``bool``, nested records already built): what
    validating the same dict builds, at a third of the cost. ``values`` must name every field.
    """
    built = object.__new__(model)
    setattr_ = object.__setattr__
    setattr_(built, "__dict__", values)
    setattr_(built, "__pydantic_fields_set__", set(values))
    setattr_(built, "__pydantic_extra__", None)
    setattr_(built, "__pydantic_private__", None)
    return built


class NewerSchemaVersion(ValueError):
    """Raised inside validation when a record comes from a newer tutorloop."""

    def __init__(self, record: str, found: int, supported: int) -> None:
        super().__init__(
            f"{record} has schema_version {found}, but this tutorloop reads up to {supported}; "
            "upgrade tutorloop (pip install -U tutorloop) to read it"
        )
        self.found = found
        self.supported = supported


class VersionedRecord(BaseModel):
    """A record written to disk: refuses newer versions and migrates older ones.

    Subclasses set ``SCHEMA_VERSION`` (the version they write), ``LEGACY_VERSION`` (the version
    assumed when the field is absent, e.g. files written by the notebook) and ``MIGRATIONS``
    (``{from_version: function}``, each taking the raw dict one version forward).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    SCHEMA_VERSION: ClassVar[int] = 1
    LEGACY_VERSION: ClassVar[int] = 1
    MIGRATIONS: ClassVar[dict[int, Migration]] = {}

    schema_version: int = Field(default=1, ge=0)
    """Version of this record's shape; readers refuse versions newer than they know.

    Set by the reader to ``SCHEMA_VERSION`` after migration, so it is always the current one.
    Migrations must be idempotent on data that already has the newer shape, because a record
    built in Python without ``schema_version`` is treated as ``LEGACY_VERSION``.
    """

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        version = data.get("schema_version", cls.LEGACY_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            return data  # field validation reports the wrong type
        if version > cls.SCHEMA_VERSION:
            raise NewerSchemaVersion(cls.__name__, version, cls.SCHEMA_VERSION)
        data = dict(data)
        while version < cls.SCHEMA_VERSION:
            step = cls.MIGRATIONS.get(version)
            if step is None:
                raise ValueError(f"{cls.__name__} schema_version {version} is no longer readable")
            data = step(data)
            version += 1
        data["schema_version"] = cls.SCHEMA_VERSION
        return data
