"""The ``python`` grader: user code ``grade(sample, item) -> float`` run in a sandboxed process.

The source is never executed in this process. Each item starts ``sys.executable -I -c <runner>``
(isolated mode: no ``PYTHON*`` variables, no user site, no script directory on the path) in its
own process group, with an empty working directory and an environment that holds ``PATH`` and
``LC_CTYPE`` only. How it runs is ``GradeEnv.python_graders``:

* ``"sandbox"`` (the default): inside bubblewrap (:mod:`tutorloop.grade.graders.sandbox`): new
  user/pid/network/ipc/uts namespaces, only the interpreter's folders visible (read-only), a
  private tmpfs as working directory, no network. Where bwrap is missing or cannot create
  namespaces, every item fails with ``SandboxUnavailable`` saying what to install.
* ``"unsandboxed"``: a plain child process (opt-in): the code can read every file and process
  this user can, open sockets, and leave processes behind.
* ``"off"``: every item fails with ``PythonGradersOff``.

The source, the sample and the item travel as one JSON document on stdin. ``grade`` is called as
``grade(sample, item)`` with plain dicts, exactly like the hosted API: ``sample`` is
``{"output_text": ..., "output_json": ...}`` and ``item`` is the dataset row.

Limits, set by the runner before the user code is compiled:

* memory: ``RLIMIT_AS`` = ``GradeEnv.python_memory_mb`` (virtual address space, so libraries that
  reserve large arenas need headroom); exceeding it is a failed outcome "exceeded the memory
  limit". Where the platform refuses the limit (some macOS versions) it is not enforced.
* CPU: ``RLIMIT_CPU`` = the wall-clock timeout rounded up, plus one second.
* files: ``RLIMIT_FSIZE`` 64 MB per file, ``RLIMIT_NOFILE`` 256, ``RLIMIT_CORE`` 0; in the
  sandbox also ``RLIMIT_NPROC`` 64.
* wall clock: ``GradeEnv.python_timeout_s``; then the whole process group is killed (in the
  sandbox, killing bwrap ends its pid namespace, so no descendant survives).
* concurrency: at most ``GradeEnv.extras["python_concurrency"]`` processes at a time (default:
  the number of CPUs), counted per ``GradeEnv`` and event loop.

Error messages and the stderr excerpt are passed through :func:`tutorloop.errors.scrub`, so a
grader cannot carry a key into a result.

The user code's ``print`` output goes to stderr; the runner writes its one result line,
``{"score": float}`` or ``{"error": ..., "kind": ...}``, prefixed with a marker, on the original
stdout, so nothing the user prints can be mistaken for the result. Every failure is a failed
outcome with a message: a syntax error (with its line), no ``grade`` function, an exception
(its last traceback line and the line in the source), a score that is not a real number or is
NaN/infinite (``bool`` counts as 0/1, as in Python), a timeout, the memory limit, a process that
died or printed no result. ``passed`` is ``score >= pass_threshold`` when a threshold is set,
else None. ``image_tag`` is accepted and ignored: the code runs on this Python and its packages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import sys
import tempfile
import weakref
from typing import Any, Literal

from tutorloop.errors import scrub
from tutorloop.grade.base import GraderOutcome, GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.sandbox import (
    minimal_env,
    resolve_bwrap,
    sandbox_argv,
    sandbox_problem,
)

_MARK = "\x1etutorloop-result:"
_RUNNER = r"""
import json, math, numbers, os, resource, sys, traceback
out = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)

def emit(**result):
    out.write(MARK + json.dumps(result) + "\n")
    out.flush()

def failure(exc, what):
    if isinstance(exc, MemoryError):
        return emit(kind="memory", error="MemoryError")
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<grader>"]
    emit(kind="exception", error=what + " raised " + last + (
        " (line %s)" % lines[-1] if lines else ""))

def limit(which, value):
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass

def main():
    job = json.loads(sys.stdin.buffer.read())
    os.environ.pop("PWD", None)
    limit(resource.RLIMIT_AS, job["memory_mb"] * 1048576)
    limit(resource.RLIMIT_CPU, job["cpu_s"])
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_FSIZE, job["fsize"])
    limit(resource.RLIMIT_NOFILE, job["nofile"])
    if job["nproc"]:
        limit(resource.RLIMIT_NPROC, job["nproc"])
    try:
        code = compile(job["source"], "<grader>", "exec")
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return emit(kind="syntax", error="the source has a syntax error" + (
            " on line %s" % line if line else "") + ": " + str(getattr(exc, "msg", exc)))
    space = {"__name__": "__grader__"}
    try:
        exec(code, space)
    except BaseException as exc:
        return failure(exc, "the source")
    grade = space.get("grade")
    if not callable(grade):
        return emit(kind="no_grade", error="the source defines no grade(sample, item) function")
    try:
        score = grade(job["sample"], job["item"])
    except BaseException as exc:
        return failure(exc, "grade()")
    if not isinstance(score, numbers.Real):
        return emit(kind="bad_score", error="grade() returned %s %s, not a number" % (
            type(score).__name__, repr(score)[:80]))
    try:
        value = float(score)
    except (OverflowError, ValueError, TypeError):
        value = math.nan
    if not math.isfinite(value):
        return emit(kind="bad_score", error="grade() returned %r, not a finite number" % score)
    emit(score=value)

main()
out.flush()
os._exit(0)
""".replace("MARK", repr(_MARK), 1)

_ERROR_TYPES = {
    "syntax": "SyntaxError",
    "no_grade": "NoGradeFunction",
    "exception": "GraderException",
    "bad_score": "InvalidScore",
    "memory": "MemoryLimit",
    "timeout": "Timeout",
}
_SLOTS_KEY = "_python_grader_slots"
_STDOUT_CAP = 1 << 20
_STDERR_TAIL = 4096
_DRAIN_S = 5.0
_FSIZE = 64 * 1048576
_NOFILE = 256
_NPROC = 64


class PythonGrader(GraderSpec):
    """Runs ``source``'s ``grade(sample, item)`` in a separate, limited process."""

    type: Literal["python"] = "python"
    source: str
    """Python source defining ``grade(sample: dict, item: dict) -> float``."""
    pass_threshold: float | None = None
    image_tag: str | None = None
    """Accepted for compatibility with the hosted API; ignored locally."""

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        """Run ``grade`` on this item in a child process and check its score."""
        refused = python_graders_refused(env.python_graders, env.bwrap_path)
        if refused is not None:
            off = env.python_graders == "off"
            return self.failed(refused, "PythonGradersOff" if off else "SandboxUnavailable")
        bwrap = resolve_bwrap(env.bwrap_path) if env.python_graders == "sandbox" else None
        try:
            job = json.dumps(
                {
                    "source": self.source,
                    "sample": sample.model_dump(mode="json"),
                    "item": item,
                    "memory_mb": int(env.python_memory_mb),
                    "cpu_s": _cpu_seconds(env),
                    "fsize": _FSIZE,
                    "nofile": _NOFILE,
                    "nproc": _NPROC if bwrap else 0,
                },
                default=str,
            ).encode("utf-8")
        except (TypeError, ValueError) as exc:
            return self.failed(f"the item cannot be sent to the grader: {exc}", "InvalidItem")
        try:
            async with _slots(env):
                result = await _run(job, env, bwrap)
        except OSError as exc:
            return self.failed(f"cannot start the grader process: {exc}", "GraderCrash")
        score = result.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score):
            passed = None if self.pass_threshold is None else score >= self.pass_threshold
            return self.outcome(score=float(score), passed=passed)
        kind = str(result.get("kind", ""))
        message = scrub(
            str(result.get("error") or f"the grader process gave no score: {result!r:.120}")
        )
        if kind == "memory":
            message = f"exceeded the memory limit of {env.python_memory_mb} MB (python_memory_mb)"
        return self.failed(message, _ERROR_TYPES.get(kind, "GraderCrash"))


def _cpu_seconds(env: GradeEnv) -> int:
    return math.ceil(env.python_timeout_s) + 1


def _slots(env: GradeEnv) -> asyncio.Semaphore:
    """The semaphore capping this env's concurrent grader processes on the running loop."""
    loop = asyncio.get_running_loop()
    table = env.extras.setdefault(_SLOTS_KEY, weakref.WeakKeyDictionary())
    slots: asyncio.Semaphore | None = table.get(loop)
    if slots is None:
        limit = int(env.extras.get("python_concurrency") or os.cpu_count() or 4)
        slots = table[loop] = asyncio.Semaphore(max(1, limit))
    return slots


async def _run(job: bytes, env: GradeEnv, bwrap: str | None) -> dict[str, Any]:
    """Run the runner on ``job``: ``{"score": x}`` or ``{"error": message, "kind": kind}``.

    With ``bwrap`` the runner starts inside the sandbox; without, as a plain child process.
    """
    command = [sys.executable, "-I", "-c", _RUNNER]
    if bwrap is not None:
        command = sandbox_argv(bwrap, command)
    with tempfile.TemporaryDirectory(prefix="tutorloop-python-") as cwd:
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=minimal_env() if bwrap else {"PATH": os.environ.get("PATH", os.defpath)},
            start_new_session=True,
        )
        assert proc.stdin and proc.stdout and proc.stderr
        io = asyncio.gather(
            _feed(proc.stdin, job),
            _read_capped(proc.stdout, _STDOUT_CAP),
            _read_tail(proc.stderr, _STDERR_TAIL),
        )
        timed_out = False
        out, err = b"", b""
        try:
            await asyncio.wait_for(proc.wait(), env.python_timeout_s)
        except TimeoutError:
            timed_out = True
        finally:
            _kill_group(proc.pid)
            with contextlib.suppress(TimeoutError):
                _, out, err = await asyncio.wait_for(io, _DRAIN_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), _DRAIN_S)
    if timed_out:
        return {"kind": "timeout", "error": f"ran longer than {env.python_timeout_s:g} s"}
    code = proc.returncode
    if bwrap is not None and code is not None and code > 128:
        code = 128 - code  # bwrap reports a child killed by signal N as exit code 128 + N
    return _result(out, err, code, env)


def _result(out: bytes, err: bytes, code: int | None, env: GradeEnv) -> dict[str, Any]:
    """The runner's result line, or what went wrong when there is none."""
    lines = [x for x in out.decode("utf-8", "replace").split("\n") if x.startswith(_MARK)]
    if lines:
        with contextlib.suppress(ValueError):
            result = json.loads(lines[-1][len(_MARK) :])
            if isinstance(result, dict):
                return result
    if code is not None and code < 0:
        if -code == signal.SIGXCPU:
            why = f"used more than {_cpu_seconds(env)} s of CPU time"
        else:
            why = f"was killed by {_signal_name(-code)} (it may have exceeded the memory limit "
            why += f"of {env.python_memory_mb} MB)"
        return {"kind": "crash", "error": f"the grader process {why}"}
    tail = err.decode("utf-8", "replace").strip().splitlines()
    detail = f": {tail[-1][:200]}" if tail else ""
    return {
        "kind": "crash",
        "error": f"the grader process exited with code {code} without a result{detail}",
    }


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _feed(stdin: asyncio.StreamWriter, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(data)
        await stdin.drain()
        stdin.close()
        await stdin.wait_closed()


async def _read_capped(stream: asyncio.StreamReader, cap: int) -> bytes:
    kept = bytearray()
    while block := await stream.read(65536):
        if len(kept) < cap:
            kept += block[: cap - len(kept)]
    return bytes(kept)


async def _read_tail(stream: asyncio.StreamReader, keep: int) -> bytes:
    tail = b""
    while block := await stream.read(65536):
        tail = (tail + block)[-keep:]
    return tail


def uses_python(grader: Any) -> bool:
    """Whether ``grader`` is a ``python`` grader or a ``multi`` grader holding one."""
    if isinstance(grader, PythonGrader):
        return True
    subs = getattr(grader, "graders", None) if getattr(grader, "type", None) == "multi" else None
    return isinstance(subs, dict) and any(uses_python(sub) for sub in subs.values())


def python_graders_refused(policy: str, bwrap_path: str = "bwrap") -> str | None:
    """Why ``python`` graders cannot run under ``policy`` here, or None when they can.

    ``policy`` is ``GradeEnv.python_graders``: ``"off"`` refuses them, ``"sandbox"`` refuses
    them where bubblewrap cannot start a sandbox, ``"unsandboxed"`` always lets them run.
    """
    if policy == "off":
        return "python graders are turned off on this server (python_graders: off)"
    if policy == "sandbox":
        problem = sandbox_problem(bwrap_path)
        if problem is not None:
            return (
                f"python graders run only in a sandbox, and {problem}; or let them run "
                "unsandboxed (python_graders: unsandboxed), which lets their code read "
                "whatever this server's user can read"
            )
    return None
