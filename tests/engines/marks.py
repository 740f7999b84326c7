"""The marks every test that starts Ray carries."""

import pytest

RAY_TEST_MARKS = [
    pytest.mark.ray,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray"),
    pytest.mark.filterwarnings("ignore::FutureWarning:ray"),
    pytest.mark.filterwarnings("ignore::UserWarning:ray"),
    # Ray Data interrupts its executor thread when a dataset finishes; the race is Ray's own
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]
"""Marked ``ray`` (``make test-ray``), and quiet about Ray's own warnings."""
