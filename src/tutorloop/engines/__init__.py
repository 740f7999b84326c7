"""Engines beyond one process: the same stage code mapped over shards on Ray Data (optional).

Nothing here imports Ray at import time; ``--engine ray`` without ``tutorloop[ray]`` installed
is a :class:`~tutorloop.errors.UserError` that says what to install.
"""

from ._cluster import INSTALL_HINT, RayOptions, require_ray
from .budget import Budget, split_budget
from .import_results import import_results, iter_result_rows, read_manifest
from .ray_grade import GradeBatch, ray_grade_paths, results_dir
from .ray_replay import ReplayBatch, ray_replay_paths

__all__ = [
    "INSTALL_HINT",
    "Budget",
    "GradeBatch",
    "RayOptions",
    "ReplayBatch",
    "import_results",
    "iter_result_rows",
    "ray_grade_paths",
    "ray_replay_paths",
    "read_manifest",
    "require_ray",
    "results_dir",
    "split_budget",
]
