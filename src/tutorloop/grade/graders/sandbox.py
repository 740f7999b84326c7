"""The bubblewrap sandbox python graders run in.

:func:`sandbox_argv` builds the ``bwrap`` command line that starts the grader runner in new
user, pid, network, ipc and uts namespaces (``--unshare-all``): the process sees a fresh
``/proc`` holding only its own processes, a minimal ``/dev``, no network but an idle loopback,
a private tmpfs as working directory, and, read-only, only what the Python interpreter needs
(``/usr``, ``/lib*``, ``/bin`` and the interpreter's prefixes and library folders). The rest of
the file system (the store, uploads, home folders, ``/etc``) does not exist inside. The
environment is cleared (``--clearenv``) and bwrap itself is started with a minimal one, so
neither ``os.environ`` nor ``/proc/1/environ`` holds a secret. ``--die-with-parent`` and the
pid namespace make sure killing bwrap ends every process the grader started, ``setsid``
double-forks included.

:func:`sandbox_problem` says why the sandbox cannot be used here (no ``bwrap``, or it cannot
create namespaces), or None when it works; the answer is probed once per bwrap path.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

__all__ = [
    "INSTALL_HINT",
    "WORKDIR",
    "minimal_env",
    "resolve_bwrap",
    "sandbox_argv",
    "sandbox_problem",
]

WORKDIR = "/grader"
"""The private tmpfs the grader runs in."""
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow unprivileged "
    "user namespaces"
)
_SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
_PROBE_TIMEOUT_S = 30.0


def minimal_env() -> dict[str, str]:
    """The environment bwrap and the grader get: a search path and a UTF-8 locale."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_CTYPE": "C.UTF-8"}


def _python_paths() -> list[str]:
    """The folders the interpreter, its standard library and its packages live in."""
    paths = sysconfig.get_paths()
    found = [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(sys.executable),
        os.path.dirname(os.path.realpath(sys.executable)),
        *(paths.get(key, "") for key in ("stdlib", "platstdlib", "purelib", "platlib")),
    ]
    return [p for p in found if p and os.path.isdir(p)]


def _binds() -> list[str]:
    """``--ro-bind``/``--symlink`` arguments for the system folders and the interpreter."""
    args: list[str] = []
    for top in _SYSTEM:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    covered = [t for t in _SYSTEM if os.path.isdir(t) and not os.path.islink(t)]
    seen: set[str] = set()
    for path in sorted({os.path.abspath(p) for p in _python_paths()}, key=len):
        real = os.path.realpath(path)
        for source, target in ((real, real), (real, path)):
            if target in seen or _under(target, covered):
                continue
            seen.add(target)
            covered.append(target)
            args += ["--ro-bind", source, target]
    return args


def _under(path: str, parents: list[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in parents)


def sandbox_argv(bwrap: str, command: list[str]) -> list[str]:
    """The ``bwrap`` command line running ``command`` inside the sandbox."""
    env: list[str] = []
    for name, value in minimal_env().items():
        env += ["--setenv", name, value]
    return [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        *env,
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",  # before the binds, so an interpreter that lives under /tmp stays visible
        *_binds(),
        "--tmpfs",
        WORKDIR,
        "--chdir",
        WORKDIR,
        "--",
        *command,
    ]


def resolve_bwrap(bwrap: str) -> str | None:
    """The bwrap executable ``bwrap`` names (a path or a name on ``PATH``), or None."""
    if os.sep in bwrap:
        return bwrap if os.access(bwrap, os.X_OK) and Path(bwrap).is_file() else None
    return shutil.which(bwrap)


@functools.lru_cache(maxsize=8)
def sandbox_problem(bwrap: str = "bwrap") -> str | None:
    """Why python graders cannot be sandboxed with ``bwrap`` here, or None when they can."""
    found = resolve_bwrap(bwrap)
    if found is None:
        return f"no bubblewrap executable {bwrap!r} was found: {INSTALL_HINT}"
    argv = sandbox_argv(found, [sys.executable, "-I", "-c", "print('ok')"])
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            env=minimal_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap ({found}) cannot start a sandbox: {exc}; {INSTALL_HINT}"
    if done.returncode != 0 or done.stdout.strip() != b"ok":
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = why[-1][:200] if why else f"exit code {done.returncode}"
        return f"bubblewrap ({found}) cannot start a sandbox: {detail}; {INSTALL_HINT}"
    return None
