"""Load sessions and replay artifacts into records, streaming, with precise errors."""

from .eval_items import (
    EvalItem,
    check_output_item,
    iter_eval_items,
    looks_like_eval_items,
    output_item_rows,
    read_output_items,
)
from .fingerprint import SESSION_SUFFIXES, estimate_records, input_files, inputs_sha256
from .items import Item, Loaded, Skipped, items_of
from .sessions import iter_items, iter_loaded, parse_record
from .validate import ValidationReport, validate_paths
from .yaml_models import load_yaml_model

__all__ = [
    "SESSION_SUFFIXES",
    "EvalItem",
    "Item",
    "Loaded",
    "Skipped",
    "ValidationReport",
    "check_output_item",
    "estimate_records",
    "input_files",
    "inputs_sha256",
    "items_of",
    "iter_eval_items",
    "iter_items",
    "iter_loaded",
    "load_yaml_model",
    "looks_like_eval_items",
    "output_item_rows",
    "parse_record",
    "read_output_items",
    "validate_paths",
]
