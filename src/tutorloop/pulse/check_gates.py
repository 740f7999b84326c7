"""The strict, fail-closed PULSE gate check (``PULSE_safe_pack_v0/tools/check_gates.py``).

Same decision, exit codes and messages as PULSE's strict checker (since bf9e46bd):

====  ==========================================================================  ======
exit  when                                                                        stream
====  ==========================================================================  ======
2     file missing, unreadable, not JSON or not an object:                        err
      ``[X] Failed to read/parse status JSON at PATH: ERROR`` (read or parse
      errors only, not a missing file), then ``[X] Invalid or missing
      status.json: PATH``
2     ``gates`` is not an object:                                                 err
      ``[X] status.json is missing a 'gates' object: PATH``
2     a required gate is absent: ``[X] Missing required gates: a, b``            out
1     a required gate is present but not literal ``true``:                        out
      ``[X] FAIL gates: a, b`` then ``[X] Values: a=false, b="true"``
0     ``[OK] All required gates PASS``                                            out
====  ==========================================================================  ======

Required ids are deduplicated in order; missing gates are reported before failing ones. Only
``gates`` is read: mirrors, ``version``, ``created_utc`` and ``metrics.run_mode`` are ignored.
Values are shown as ``json.dumps(value, ensure_ascii=False)``. Standard library only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["check_gates"]


def check_gates(
    status_path: str | os.PathLike[str],
    required: Sequence[str],
    out: TextIO,
    err: TextIO,
) -> int:
    """Check that every required gate of a PULSE status.json is literal ``true``.

    Args:
        status_path: The status.json to read.
        required: The gate ids that must pass (at least one; duplicates are ignored).
        out: Where the verdict lines go (stdout in the CLI).
        err: Where problems with the file go (stderr in the CLI).

    Returns:
        0 if every required gate is ``true``; 1 if one is present but not ``true``; 2 if the
        file is missing or invalid, ``gates`` is not an object, or a required gate is absent.

    Raises:
        TypeError: ``required`` is a single string instead of a sequence of ids.
        ValueError: ``required`` is empty (the CLI makes that a usage error).
    """
    if isinstance(required, str):
        raise TypeError("required must be a sequence of gate ids, not a single string")
    if not required:
        raise ValueError("at least one required gate id is needed")
    path = Path(status_path)
    data = _load(path, err)
    if not isinstance(data, dict):
        print(f"[X] Invalid or missing status.json: {path}", file=err)
        return 2
    gates = data.get("gates")
    if not isinstance(gates, dict):
        print(f"[X] status.json is missing a 'gates' object: {path}", file=err)
        return 2

    ids = list(dict.fromkeys(str(gate) for gate in required))
    missing = [gate for gate in ids if gate not in gates]
    if missing:
        print(f"[X] Missing required gates: {', '.join(missing)}", file=out)
        return 2
    failing = [gate for gate in ids if gates[gate] is not True]
    if failing:
        print(f"[X] FAIL gates: {', '.join(failing)}", file=out)
        values = ", ".join(f"{g}={json.dumps(gates[g], ensure_ascii=False)}" for g in failing)
        print(f"[X] Values: {values}", file=out)
        return 1
    print("[OK] All required gates PASS", file=out)
    return 0


def _load(path: Path, err: TextIO) -> Any:
    """The parsed file, or ``None`` when it is missing or unreadable (reported on ``err``)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except Exception as exc:  # PULSE reports any read or parse failure the same way
        print(f"[X] Failed to read/parse status JSON at {path}: {exc}", file=err)
        return None
