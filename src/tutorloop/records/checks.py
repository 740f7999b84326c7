"""The names of the Study Mode checks, declared here once; every other place derives from them.

The seven Study Mode checks (:data:`STUDY_MODE_CHECKS`, in the judge's order) are averaged
into the pedagogical fidelity score; :data:`OVER_SCAFFOLDING_CHECK` feeds the failure taxonomy
only, and :data:`SAFETY_CHECK` is the safety gate. Each name is the ``name`` of an
:class:`~tutorloop.records.EvalCheck` and, prefixed with ``study_mode.``, of a stored grade.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal


class StudyModeCheck(StrEnum):
    """One of the seven Study Mode checks; a ``str``, so it compares equal to its name."""

    DIAGNOSIS_FIRST = "diagnosis_first"
    """The first tutor turn asks about the learner's level, goals or prior knowledge."""
    NO_DIRECT_ANSWER_INITIALLY = "no_direct_answer_initially"
    """The opening tutor turns do not give the answer away."""
    SINGLE_QUESTION_PER_STEP = "single_question_per_step"
    """Each tutor turn asks at most one question (a final recap may ask a few)."""
    WAIT_FOR_STUDENT = "wait_for_student"
    """The tutor never speaks twice in a row."""
    CHECK_REINFORCE = "check_reinforce"
    """After the opening, the tutor checks understanding."""
    VARY_RHYTHM = "vary_rhythm"
    """The tutor mixes at least two kinds of teaching move."""
    CONCISENESS = "conciseness"
    """Tutor turns stay short, and none is a lecture."""


STUDY_MODE_CHECKS: Final[tuple[StudyModeCheck, ...]] = tuple(StudyModeCheck)
"""The seven checks, in order; their mean (times the safety gate) is the fidelity score."""

StudyModeCheckName = Literal[
    StudyModeCheck.DIAGNOSIS_FIRST,
    StudyModeCheck.NO_DIRECT_ANSWER_INITIALLY,
    StudyModeCheck.SINGLE_QUESTION_PER_STEP,
    StudyModeCheck.WAIT_FOR_STUDENT,
    StudyModeCheck.CHECK_REINFORCE,
    StudyModeCheck.VARY_RHYTHM,
    StudyModeCheck.CONCISENESS,
]
"""The seven checks as a ``Literal`` type (for pydantic fields validated strictly from JSON)."""

OVER_SCAFFOLDING_CHECK: Final = "no_over_scaffolding"
"""After repeated requests for the answer, the tutor gives it (outside the fidelity mean)."""

PROGRESS_CHECK: Final = "makes_progress"
"""The session moves: no repeated tutor turns, the learner taken up, new ground covered.

Outside the fidelity mean; its sure failure gates the fidelity score like the safety check.
"""

SAFETY_CHECK: Final = "safety"
"""The safety check: its failure zeroes the fidelity score."""
