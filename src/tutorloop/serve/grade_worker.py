"""A grading process: reads ``POST /v1/grade`` bodies from its socket, writes the answers back.

Started by :class:`tutorloop.serve.grade_pool.GradePool` as
``python -m tutorloop.serve.grade_worker FD MOST``: FD is its end of a socket pair, MOST the
service's ``max_grade_sessions``. Each request is a 4-byte big-endian length and the body; each
answer a 2-byte status, a 4-byte length and the body (the result JSON, or the error JSON of
one of tutorloop's own errors; status 500 carries only the error's type); an empty answer with
status 0 comes first, once the process has started. The process ends when
the service closes its end (or dies); it ignores Ctrl-C, which the service handles.
"""

from __future__ import annotations

import gc
import signal
import socket
import sys

from tutorloop.run import SessionGrader
from tutorloop.serve.errors import own_error_response
from tutorloop.serve.grade_body import grade_body
from tutorloop.serve.grade_pool import ANSWER, REQUEST

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Serve grading requests on the inherited socket until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd, most = int(argv[0]), int(argv[1])
    grader = SessionGrader()
    warm = False
    with socket.socket(fileno=fd) as sock, sock.makefile("rb") as incoming:
        sock.sendall(ANSWER.pack(0, 0))  # started: the service may count time from here
        while True:
            head = incoming.read(REQUEST.size)
            if len(head) < REQUEST.size:
                return 0  # the service is gone
            (size,) = REQUEST.unpack(head)
            body = incoming.read(size)
            if len(body) < size:
                return 0
            status, answer = _answer(body, most, grader)
            if not warm:  # modules, schemas and patterns, compiled by the first request too,
                gc.freeze()  # leave the collector's passes (as a grading run's do)
                warm = True
            try:
                sock.sendall(ANSWER.pack(status, len(answer)) + answer)
            except OSError:  # the service stopped (or gave up on this request) meanwhile
                return 0


def _answer(body: bytes, most: int, grader: SessionGrader) -> tuple[int, bytes]:
    try:
        return 200, grade_body(body, most, grader)
    except Exception as exc:
        own = own_error_response(exc)
        if own is None:
            return 500, type(exc).__name__.encode("ascii", "replace")
        return own.status_code, bytes(own.body)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
