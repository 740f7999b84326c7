"""The public names of tutorloop are exactly these; a change here is a change of the API."""

import tutorloop

EXPECTED = {
    "ConfigError", "DecideConfig", "Decision", "EvalCheck", "EvalResult", "TutorloopError",
    "Evidence", "Failure", "Grade", "GradeConfig", "GraderSpec", "HeuristicConfig",
    "InputProblems", "Item", "LoadError", "Problem", "ReplayArtifact", "RunManifest",
    "RunConfig", "RunReport", "RunSummary",
    "SchemaVersionError", "Session", "SessionGrader", "Store", "StoreError",
    "StudyModeHeuristics", "Turn", "UserError", "__version__", "bundled_sessions", "decide",
    "export_run", "grade_paths", "iter_items", "iter_loaded", "load_heuristic_config",
    "new_run_id", "summarize", "validate_paths",
}  # fmt: skip


def test_all_is_pinned():
    assert set(tutorloop.__all__) == EXPECTED


def test_every_exported_name_exists():
    for name in tutorloop.__all__:
        assert hasattr(tutorloop, name), name
