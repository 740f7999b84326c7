"""tutorloop: eval-driven development for LLM tutors.

Replay logged tutoring sessions through models, grade them (the Study Mode heuristics, OpenAI
Evals graders, a structured judge, learned graders), decide (fidelity, failure taxonomy,
escalation), store the results in SQLite, compare runs, gate releases and report. The verbs
(``grade``, ``replay``, ``report``, ``compare``, ``align_run``, each with an ``_async`` twin)
take paths or records and a config model and return a run object. Every public name is listed
here; each is imported on first use, so ``import tutorloop`` stays quick.
"""

import typing

from tutorloop._lazy import lazy_exports as _lazy_exports

if typing.TYPE_CHECKING:
    from tutorloop._version import __version__
    from tutorloop.align import AlignConfig
    from tutorloop.analyse import Comparison, RunSummary, summarize
    from tutorloop.api import (
        AlignRun,
        GradeRun,
        ReplayRun,
        align_run,
        align_run_async,
        compare,
        compare_async,
        grade,
        grade_async,
        replay,
        replay_async,
        report,
        report_async,
    )
    from tutorloop.bundled import bundled_sessions
    from tutorloop.decide import DecideConfig, decide
    from tutorloop.errors import (
        ConfigError,
        InputProblems,
        LoadError,
        Problem,
        SchemaVersionError,
        StoreError,
        TutorloopError,
        UserError,
    )
    from tutorloop.generate import CallPolicy, ProviderSettings
    from tutorloop.grade import HeuristicConfig, StudyModeHeuristics, load_heuristic_config
    from tutorloop.load import Item, iter_items, iter_loaded, validate_paths
    from tutorloop.present import ReportOptions
    from tutorloop.records import (
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
    from tutorloop.run import (
        GradeConfig,
        ModelAccess,
        ModelGrading,
        ReplayConfig,
        RunConfig,
        RunReport,
        SessionGrader,
        grade_paths,
        new_run_id,
    )
    from tutorloop.store import Store, export_run

__all__ = [
    "AlignConfig",
    "AlignRun",
    "CallPolicy",
    "Comparison",
    "ConfigError",
    "DecideConfig",
    "EvalCheck",
    "EvalResult",
    "Evidence",
    "Failure",
    "Grade",
    "GradeConfig",
    "GradeRun",
    "HeuristicConfig",
    "InputProblems",
    "Item",
    "LoadError",
    "ModelAccess",
    "ModelGrading",
    "Problem",
    "ProviderSettings",
    "ReplayArtifact",
    "ReplayConfig",
    "ReplayRun",
    "ReportOptions",
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
    "align_run",
    "align_run_async",
    "bundled_sessions",
    "compare",
    "compare_async",
    "decide",
    "export_run",
    "grade",
    "grade_async",
    "grade_paths",
    "iter_items",
    "iter_loaded",
    "load_heuristic_config",
    "new_run_id",
    "replay",
    "replay_async",
    "report",
    "report_async",
    "summarize",
    "validate_paths",
]

__getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "__version__": "tutorloop._version",
        "AlignConfig": "tutorloop.align",
        "Comparison": "tutorloop.analyse",
        "RunSummary": "tutorloop.analyse",
        "summarize": "tutorloop.analyse",
        "AlignRun": "tutorloop.api",
        "GradeRun": "tutorloop.api",
        "ReplayRun": "tutorloop.api",
        "align_run": "tutorloop.api",
        "align_run_async": "tutorloop.api",
        "compare": "tutorloop.api",
        "compare_async": "tutorloop.api",
        "grade": "tutorloop.api",
        "grade_async": "tutorloop.api",
        "replay": "tutorloop.api",
        "replay_async": "tutorloop.api",
        "report": "tutorloop.api",
        "report_async": "tutorloop.api",
        "bundled_sessions": "tutorloop.bundled",
        "DecideConfig": "tutorloop.decide",
        "decide": "tutorloop.decide",
        "ConfigError": "tutorloop.errors",
        "InputProblems": "tutorloop.errors",
        "LoadError": "tutorloop.errors",
        "Problem": "tutorloop.errors",
        "SchemaVersionError": "tutorloop.errors",
        "StoreError": "tutorloop.errors",
        "TutorloopError": "tutorloop.errors",
        "UserError": "tutorloop.errors",
        "CallPolicy": "tutorloop.generate",
        "ProviderSettings": "tutorloop.generate",
        "HeuristicConfig": "tutorloop.grade",
        "StudyModeHeuristics": "tutorloop.grade",
        "load_heuristic_config": "tutorloop.grade",
        "Item": "tutorloop.load",
        "iter_items": "tutorloop.load",
        "iter_loaded": "tutorloop.load",
        "validate_paths": "tutorloop.load",
        "ReportOptions": "tutorloop.present",
        "EvalCheck": "tutorloop.records",
        "EvalResult": "tutorloop.records",
        "Evidence": "tutorloop.records",
        "Failure": "tutorloop.records",
        "Grade": "tutorloop.records",
        "ReplayArtifact": "tutorloop.records",
        "RunManifest": "tutorloop.records",
        "Session": "tutorloop.records",
        "Turn": "tutorloop.records",
        "GradeConfig": "tutorloop.run",
        "ModelAccess": "tutorloop.run",
        "ModelGrading": "tutorloop.run",
        "ReplayConfig": "tutorloop.run",
        "RunConfig": "tutorloop.run",
        "RunReport": "tutorloop.run",
        "SessionGrader": "tutorloop.run",
        "grade_paths": "tutorloop.run",
        "new_run_id": "tutorloop.run",
        "Store": "tutorloop.store",
        "export_run": "tutorloop.store",
    },
)
