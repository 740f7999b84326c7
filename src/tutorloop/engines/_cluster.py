"""Reaching Ray: the optional import, and a cluster to run on (an existing one, or a local one)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.errors import UserError

INSTALL_HINT = "pip install 'tutorloop[ray]'"
TARGET_BLOCK_BYTES = 8 * 1024 * 1024
"""Largest block Ray Data builds (its default is 128 MiB): blocks of a few thousand sessions keep
what a task holds, and what waits in the object store, small."""


class RayOptions(BaseModel):
    """Where a Ray run executes and how wide it is."""

    model_config = ConfigDict(extra="forbid")

    address: str | None = None
    """An existing cluster (``ray://host:10001`` or ``host:6379``); default ``$RAY_ADDRESS``, else
    a local cluster started for the run and stopped after it."""
    actors: int = Field(default=2, ge=1)
    """Workers that grade or replay (each holds one grader or one Model context)."""
    cpus_per_actor: float = Field(default=0.5, gt=0)
    """Logical CPUs each actor reserves; below 1 leaves room for the read and write tasks."""
    batch_size: int = Field(default=256, ge=1)
    """Rows handed to an actor at once."""
    num_cpus: int | None = Field(default=None, ge=1)
    """Logical CPUs of a local cluster (default: twice the cores, at least 4)."""
    object_store_mb: int = Field(default=256, ge=80)
    """Object store of a local cluster, in MB."""
    progress: bool = False
    """Show Ray Data's own progress bars."""


def require_ray() -> ModuleType:
    """The ``ray`` module, or a :class:`UserError` (exit 2) saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise UserError(f"--engine ray needs Ray Data: {INSTALL_HINT}") from None
    module: ModuleType = ray
    return module


@contextmanager
def ray_cluster(options: RayOptions) -> Iterator[ModuleType]:
    """Ray, connected: reuse a running connection, join ``address``, or start a local cluster.

    A cluster this function started is shut down on exit; one it joined is left running.
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    address = options.address or os.environ.get("RAY_ADDRESS") or None
    kwargs: dict[str, Any] = {
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "configure_logging": True,
    }
    if address is None:
        cores = os.cpu_count() or 2
        kwargs.update(
            num_cpus=options.num_cpus or max(4, 2 * cores),
            object_store_memory=options.object_store_mb * 1024 * 1024,
            include_dashboard=False,
        )
    else:
        kwargs["address"] = address
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local cluster"
        raise UserError(
            f"cannot start Ray on {where}: {exc}; check --ray-address / RAY_ADDRESS"
        ) from exc
    try:
        yield ray
    finally:
        ray.shutdown()


def configure_data(ray: ModuleType, options: RayOptions) -> None:
    """Deterministic output order, small blocks and quiet progress for the current context."""
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.target_max_block_size = TARGET_BLOCK_BYTES
    context.enable_progress_bars = options.progress
    context.print_on_execution_start = False
