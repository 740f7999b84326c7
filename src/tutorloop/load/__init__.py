"""Load sessions, artifacts and other tools' logs into records, streaming, with precise errors."""

from .convert import ConversionReport, convert_logs
from .eval_items import (
    EvalItem,
    check_output_item,
    iter_eval_items,
    looks_like_eval_items,
    output_item_rows,
    read_output_items,
)
from .fingerprint import SESSION_SUFFIXES, estimate_records, input_files, inputs_sha256
from .follow import LINE_SUFFIXES, Followed, Follower
from .hosted_evals import (
    EvalDefinition,
    ImportReport,
    fetch_definition,
    fetch_output_items,
    import_eval,
    read_definition,
)
from .importers import LOG_FORMATS, detect_log_format
from .items import Item, Loaded, Skipped, items_of
from .labels import (
    LABEL_FORMATS,
    LabelFormat,
    LabelSet,
    detect_format,
    item_turn_items,
    read_labels,
    read_predictions,
    review_labelset,
    session_turn_items,
    write_labels,
)
from .lines import (
    MAX_LINE_BYTES_ENV,
    JsonProblem,
    Line,
    decode_line,
    iter_lines,
    max_line_bytes,
    parse_json,
    read_text,
)
from .registry import EvalRegistry, RegistrySample
from .sessions import iter_items, iter_loaded, parse_record
from .validate import ValidationReport, validate_paths
from .yaml_models import load_yaml_model

__all__ = [
    "LABEL_FORMATS",
    "LINE_SUFFIXES",
    "LOG_FORMATS",
    "MAX_LINE_BYTES_ENV",
    "SESSION_SUFFIXES",
    "ConversionReport",
    "EvalDefinition",
    "EvalItem",
    "EvalRegistry",
    "Followed",
    "Follower",
    "ImportReport",
    "Item",
    "JsonProblem",
    "LabelFormat",
    "LabelSet",
    "Line",
    "Loaded",
    "RegistrySample",
    "Skipped",
    "ValidationReport",
    "check_output_item",
    "convert_logs",
    "decode_line",
    "detect_format",
    "detect_log_format",
    "estimate_records",
    "fetch_definition",
    "fetch_output_items",
    "import_eval",
    "input_files",
    "inputs_sha256",
    "item_turn_items",
    "items_of",
    "iter_eval_items",
    "iter_items",
    "iter_lines",
    "iter_loaded",
    "load_yaml_model",
    "looks_like_eval_items",
    "max_line_bytes",
    "output_item_rows",
    "parse_json",
    "parse_record",
    "read_definition",
    "read_labels",
    "read_output_items",
    "read_predictions",
    "read_text",
    "review_labelset",
    "session_turn_items",
    "validate_paths",
    "write_labels",
]
