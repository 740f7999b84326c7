"""Human label files (tutorloop JSONL, MRBench/BEA JSON, CSV) → items and labels."""

from .labelset import LabelSet, file_sha256, review_labelset
from .read import LABEL_FORMATS, LabelFormat, detect_format, read_labels, write_labels
from .turns import item_turn_items, read_predictions, session_turn_items

__all__ = [
    "LABEL_FORMATS",
    "LabelFormat",
    "LabelSet",
    "detect_format",
    "file_sha256",
    "item_turn_items",
    "read_labels",
    "read_predictions",
    "review_labelset",
    "session_turn_items",
    "write_labels",
]
