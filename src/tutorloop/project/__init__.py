"""The project: ``tutorloop.yaml``, its JSON Schema, and the run settings it gives."""

from .config import (
    CONFIG_ENV,
    CONFIG_FILE,
    Calls,
    GradeSection,
    Paths,
    ProjectConfig,
    ReplaySection,
    Thresholds,
)
from .loading import find_config, load_project, read_config_file
from .schema import config_schema

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILE",
    "Calls",
    "GradeSection",
    "Paths",
    "ProjectConfig",
    "ReplaySection",
    "Thresholds",
    "config_schema",
    "find_config",
    "load_project",
    "read_config_file",
]
