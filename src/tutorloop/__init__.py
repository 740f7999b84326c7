"""tutorloop: eval-driven development for LLM tutors.

Load sessions, grade them with the Study Mode heuristics, decide (fidelity, failure taxonomy,
escalation), store the results in SQLite and export them. Every public name is listed here.
"""

from ._version import __version__
from .analyse import RunSummary, summarize
from .bundled import bundled_sessions
from .decide import DecideConfig, Decision, decide
from .errors import (
    ConfigError,
    InputProblems,
    LoadError,
    Problem,
    SchemaVersionError,
    StoreError,
    TutorloopError,
    UserError,
)
from .grade import GraderSpec, HeuristicConfig, StudyModeHeuristics, load_heuristic_config
from .load import Item, iter_items, iter_loaded, validate_paths
from .records import (
    EvalCheck,
    EvalResult,
    Evidence,
    Failure,
    Grade,
    ReplayArtifact,
    RunManifest,
    Session,
    Turn,
)
from .run import GradeConfig, RunConfig, RunReport, SessionGrader, grade_paths, new_run_id
from .store import Store, export_run

__all__ = [
    "ConfigError",
    "DecideConfig",
    "Decision",
    "EvalCheck",
    "EvalResult",
    "Evidence",
    "Failure",
    "Grade",
    "GradeConfig",
    "GraderSpec",
    "HeuristicConfig",
    "InputProblems",
    "Item",
    "LoadError",
    "Problem",
    "ReplayArtifact",
    "RunConfig",
    "RunManifest",
    "RunReport",
    "RunSummary",
    "SchemaVersionError",
    "Session",
    "SessionGrader",
    "Store",
    "StoreError",
    "StudyModeHeuristics",
    "Turn",
    "TutorloopError",
    "UserError",
    "__version__",
    "bundled_sessions",
    "decide",
    "export_run",
    "grade_paths",
    "iter_items",
    "iter_loaded",
    "load_heuristic_config",
    "new_run_id",
    "summarize",
    "validate_paths",
]
