"""Atomic file writes: write beside the target, fsync, then ``os.replace`` onto it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tutorloop.errors import StoreError

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text"]


@contextmanager
def atomic_path(path: Path | str, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The block creates and writes the temporary file. If the block raises, the temporary file
    is removed and ``path`` is untouched. Parent directories are created. ``durable=False`` skips
    the fsyncs: the file is still never seen half-written, even after kill -9, but a power loss
    may lose it; use it for copies whose data the store already holds.

    Raises:
        StoreError: the directory cannot be created or the file cannot be moved into place.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        if durable:
            _fsync_file(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _cannot_write(target, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(target.parent)


def atomic_write_bytes(path: Path | str, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (readers see the old or the new file, never half)."""
    with atomic_path(path, durable=durable) as tmp, open(tmp, "xb") as handle:
        handle.write(data)


def atomic_write_text(path: Path | str, text: str, *, durable: bool = True) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (newlines are written as given)."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def _cannot_write(target: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"cannot write {target}: {exc.strerror or exc}; check that {target.parent} "
        "is writable and has free space"
    )


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; best effort (not possible on Windows or some filesystems)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
