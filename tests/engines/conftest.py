"""One local Ray cluster for every Ray test of the session (started lazily, shut down after)."""

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """The address of a local Ray cluster with 4 logical CPUs and a small object store."""
    ray = pytest.importorskip(
        "ray", reason="Ray tests need the extra: pip install 'tutorloop[ray]'"
    )
    context = ray.init(
        num_cpus=4,
        include_dashboard=False,
        object_store_memory=200 * 1024 * 1024,
        log_to_driver=False,
    )
    try:
        yield str(context.address_info["address"])
    finally:
        ray.shutdown()
