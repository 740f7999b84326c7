"""Config files (YAML or JSON) read into pydantic models, with errors that name file and field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tutorloop.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)


def load_yaml_model(path: str | Path, model: type[ModelT], what: str) -> ModelT:
    """Read ``path`` as a mapping and validate it as ``model``.

    ``what`` names the file's kind in messages ("the price table", "the persona file"). A
    missing or unreadable file, invalid YAML, a non-mapping, and the first invalid field each
    raise :class:`ConfigError` naming the file (and the field, with the valid ones when the
    field is unknown).
    """
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} does not exist", path=str(file)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what}: {exc}", path=str(file)) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=str(file)) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} must be a mapping of settings", path=str(file))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        hint = ""
        if first["type"] == "extra_forbidden":
            hint = f" (valid settings: {', '.join(sorted(model.model_fields))})"
        raise ConfigError(f"{first['msg']}{hint}", path=str(file), field=field) from exc
