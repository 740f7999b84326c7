"""``POST /v1/grade`` in grading processes: off the event loop, and off its interpreter lock.

Grading is pure Python: in worker threads it shares one interpreter lock with the event loop,
so a loaded service spends its CPU handing the lock around and ``/healthz`` waits for it. The
pool runs one grading process per core (``grade_processes``), each fed request bodies over a
socket pair by the event loop (:mod:`tutorloop.serve.grade_worker`): the event loop only moves
bytes. The processes start at the first grading request (a body sent meanwhile waits in the
socket), run without the service's token or any other credential in their environment, and
end with the service, or by themselves when it dies.

A request that waits for a free process, or is graded, for more than ``work_timeout_s`` is
answered 400; a process past it is killed and replaced, as is the process of an abandoned
request. A process's start (its imports, up to ``START_TIMEOUT_S``) is not counted against
the request waiting for it: a request never fails because a replacement is starting. A request whose
grading fails unexpectedly, or whose process dies, is answered 500 (the log has the error's
type, never its message), and a dead process is replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import subprocess
import sys

import anyio

from tutorloop.serve.config import TOKEN_ENV
from tutorloop.serve.errors import ApiError

__all__ = ["ANSWER", "REQUEST", "GradePool", "GradingFailed"]

log = logging.getLogger("tutorloop.serve")

REQUEST = struct.Struct("!I")
"""A request's frame head: the body's length."""
ANSWER = struct.Struct("!HI")
"""An answer's frame head: the HTTP status and the body's length."""


START_TIMEOUT_S = 120.0
"""How long a grading process may take to start (imports on a busy machine) before it is
replaced and its request answered 500."""


def _overrun(timeout_s: float) -> ApiError:
    return ApiError(
        400,
        f"grading took more than {timeout_s:g} seconds (work_timeout_s): send less per request",
        code="work_timeout",
    )


class GradingFailed(RuntimeError):
    """Grading failed unexpectedly, or its process ended (the service answers 500)."""


_SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "CREDENTIAL")


def _secret(name: str) -> bool:
    """Whether an environment variable may hold a credential (grading needs none)."""
    upper = name.upper()
    return name == TOKEN_ENV or any(word in upper for word in _SECRET_WORDS)


class _Process:
    """One grading process and the service's end of its socket pair."""

    def __init__(self, most: int) -> None:
        mine, theirs = socket.socketpair()
        env = {name: value for name, value in os.environ.items() if not _secret(name)}
        command = [sys.executable, "-m", "tutorloop.serve.grade_worker",
                   str(theirs.fileno()), str(most)]  # fmt: skip
        try:
            self.process = subprocess.Popen(
                command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env
            )
        finally:
            theirs.close()
        self.socket = mine
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def started(self) -> None:
        """Wait (once) for the process to say it has started: imported, its grader built."""
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(sock=self.socket)
            await self._answer()  # the start's own frame

    async def ask(self, body: bytes) -> tuple[int, bytes]:
        assert self.writer is not None
        self.writer.write(REQUEST.pack(len(body)) + body)
        return await self._answer()

    async def _answer(self) -> tuple[int, bytes]:
        assert self.reader is not None
        try:
            status, size = ANSWER.unpack(await self.reader.readexactly(ANSWER.size))
            return status, await self.reader.readexactly(size)
        except asyncio.IncompleteReadError:
            code = self.process.poll()
            raise GradingFailed(f"a grading process ended (exit code {code})") from None

    def close(self, *, kill: bool) -> None:
        with contextlib.suppress(OSError):  # the end of input now, not at the loop's next turn
            self.socket.shutdown(socket.SHUT_RDWR)
        if self.writer is not None:
            self.writer.close()
        else:
            self.socket.close()
        if kill:
            self.process.kill()

    def reap(self, wait_s: float) -> None:
        try:
            self.process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class GradePool:
    """Grading processes answering ``POST /v1/grade`` bodies, one request each at a time."""

    def __init__(self, processes: int, most: int) -> None:
        """A pool of ``processes`` grading processes, started at the first request.

        Args:
            processes: How many (0: one per core).
            most: Sessions one request may send (``max_grade_sessions``).
        """
        self.size = processes or os.cpu_count() or 1
        self.most = most
        self._idle: asyncio.Queue[_Process] | None = None
        self._all: set[_Process] = set()

    async def grade(self, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        """The status and JSON answer to a grading body, from a free grading process.

        Raises:
            ApiError: 400 when waiting for a free process, or the grading itself, took more
                than ``timeout_s`` seconds (a process's start is not counted).
            GradingFailed: grading failed unexpectedly, or the process ended without answering.
        """
        idle = self._start()
        with anyio.move_on_after(timeout_s) as waiting:
            process = await idle.get()
        if waiting.cancelled_caught:
            raise _overrun(timeout_s)
        try:
            with anyio.fail_after(START_TIMEOUT_S):  # a process's start is not the request's work
                await process.started()
            with anyio.move_on_after(timeout_s) as working:
                status, answer = await process.ask(body)
        except BaseException:  # a cancelled request, a dead process or one that never started
            self._replace(process)
            raise
        if working.cancelled_caught:
            self._replace(process)
            raise _overrun(timeout_s)
        idle.put_nowait(process)
        if status == 500:  # the message stays in the process: only the error's type
            kind = answer.decode("ascii", "replace")
            log.error("POST /v1/grade: grading failed: %s", kind)
            raise GradingFailed(f"grading failed: {kind}")
        return status, answer

    def close(self) -> None:
        """End every grading process (each finishes the request it has, if any, first)."""
        processes, self._all, self._idle = self._all, set(), None
        for process in processes:
            process.close(kill=False)
        for process in processes:
            process.reap(wait_s=5)

    def _start(self) -> asyncio.Queue[_Process]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                self._add()
        return self._idle

    def _add(self) -> None:
        process = _Process(self.most)
        self._all.add(process)
        assert self._idle is not None
        self._idle.put_nowait(process)

    def _replace(self, process: _Process) -> None:
        process.close(kill=True)
        process.reap(wait_s=5)
        if process in self._all:
            self._all.discard(process)
            self._add()
