"""Importers of the logs teams have: OpenAI chat and Responses, Langfuse, LangSmith, OTel, CSV."""

from .assemble import Imported
from .base import Importer
from .csv_turns import is_turns_csv
from .detect import detect_log_format
from .messages import DEFAULT_DOMAIN
from .registry import IMPORTERS, LOG_FORMATS, NATIVE, check_format, importer_for, read_log

__all__ = [
    "DEFAULT_DOMAIN",
    "IMPORTERS",
    "LOG_FORMATS",
    "NATIVE",
    "Imported",
    "Importer",
    "check_format",
    "detect_log_format",
    "importer_for",
    "is_turns_csv",
    "read_log",
]
