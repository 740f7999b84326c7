"""Simulated tutors and learners for the demo and the tests, registered as the ``sim`` provider.

Tutor and learner turns are the simulator's own; every other answer comes from a script chosen by
the request's purpose (:mod:`.scripts`), or from outputs the caller supplies.
"""

from .provider import CONVERSATIONS, MODELS, Output, Outputs, SimProvider
from .scripts import SCRIPTS, Script
from .tutors import STUDY_REFUSAL

__all__ = [
    "CONVERSATIONS",
    "MODELS",
    "SCRIPTS",
    "STUDY_REFUSAL",
    "Output",
    "Outputs",
    "Script",
    "SimProvider",
]
