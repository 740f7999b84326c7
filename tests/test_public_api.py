"""The public names of tutorloop and of each of its packages; a change here is a change of the API.

As httpx's ``test_exported_members``: the public names a package holds (``vars``, modules left
out: a subpackage is reached by importing it) must be exactly its ``__all__``, and ``__all__``
must be exactly the list written here. The top level exports lazily: every name is read first.
"""

import asyncio
import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

import tutorloop

PUBLIC = {
    "tutorloop": [
        "AlignConfig", "AlignRun", "CallPolicy", "Comparison", "ConfigError", "DecideConfig",
        "Decision", "EvalCheck", "EvalResult", "Evidence", "Failure", "Grade", "GradeConfig",
        "GradeRun", "GraderSpec", "HeuristicConfig", "InputProblems", "Item", "LoadError",
        "ModelAccess", "ModelGrading", "Problem", "ProviderSettings", "ReplayArtifact",
        "ReplayConfig", "ReplayRun", "ReportOptions", "RunConfig", "RunManifest", "RunReport",
        "RunSummary", "SchemaVersionError", "Session", "SessionGrader", "Store", "StoreError",
        "StudyModeHeuristics", "Turn", "TutorloopError", "UserError", "__version__",
        "align_run", "align_run_async", "bundled_sessions", "compare", "compare_async",
        "decide", "export_run", "grade", "grade_async", "grade_paths", "iter_items",
        "iter_loaded", "load_heuristic_config", "new_run_id", "replay", "replay_async",
        "report", "report_async", "summarize", "validate_paths",
    ],
    "tutorloop.align": [
        "AlignConfig", "AlignItem", "AlignPersona", "AlignReport", "AlignRunRecord",
        "AlignSummary", "DEFAULT_JUDGE_MODEL", "FatalModelError", "GroupStats", "PLACEHOLDERS",
        "PreferenceStats", "REQUIRED_KEYS", "RejudgeOptions", "RejudgeReport", "align_personas",
        "bundled_align_dataset", "check_dataset", "iter_dataset", "parse_list",
        "persona_system_prompt", "rejudge_run", "resolve_personas", "run_align",
        "run_align_async", "salvage_run", "summarize_rows",
    ],
    "tutorloop.analyse": [
        "AgreementScore", "Calibration", "Candidate", "CheckComparison", "CheckRate",
        "Comparison", "ConditionSummary", "Confusion", "CostModel", "DriftReport", "DriftTest",
        "ESCALATE", "GradedPairs", "GraderQuery", "GraderRate", "HEURISTIC", "JudgeAgreement",
        "MetricValue", "NextConfig", "Objective", "PairDelta", "PolicyCost", "Prediction",
        "QueueEntry", "RaterAgreement", "RunSummary", "ThresholdPoint", "TurnGrader", "Vote",
        "Window", "adjust_pvalues", "agreement", "agreement_title", "attention_probability",
        "calculate_learning_cost", "calibrate", "calibrate_graders", "collect_votes",
        "compare_policies", "compare_results", "compare_windows", "confusion_of_labels",
        "gold_table", "graded_pairs", "judge_agreement", "judge_metrics", "label_predictions",
        "labelled_by_people", "metric_names", "metric_problem", "metric_value",
        "newcombe_interval", "pair_key", "pick_windows", "policy_cost", "policy_costs",
        "predictions_from_records", "predictions_from_results", "rank_items", "rank_next",
        "rater_agreement", "run_metrics", "run_source", "score_labels", "summarize",
        "time_series", "turn_grader", "turn_items", "watched_metrics", "wilson_interval",
        "write_next_file",
    ],
    "tutorloop.api": [
        "AlignRun", "GradeRun", "Input", "Inputs", "Progress", "Record", "ReplayRun",
        "align_run", "align_run_async", "compare", "compare_async", "grade", "grade_async",
        "replay", "replay_async", "report", "report_async",
    ],
    "tutorloop.cli": [
        "app", "main",
    ],
    "tutorloop.decide": [
        "CRITERIA_NOTE", "DEFAULT_FAILURE_CLASSES", "DEFAULT_SEVERITY", "DecideConfig",
        "Decision", "decide", "decide_criteria", "failures", "fidelity",
    ],
    "tutorloop.engines": [
        "Budget", "GradeBatch", "INSTALL_HINT", "RayOptions", "ReplayBatch", "import_results",
        "iter_result_rows", "ray_grade_paths", "ray_replay_paths", "read_manifest",
        "require_ray", "results_dir", "split_budget",
    ],
    "tutorloop.generate": [
        "CallContext", "CallLedger", "CallPolicy", "CallStats", "Endpoint", "GenerateRequest",
        "GenerateResponse", "LOGGED_TURNS_HEADER", "Message", "Model", "Overlay", "PersonaCard",
        "Price", "PriceTable", "ProviderAPI", "ProviderSettings", "Purpose", "ROLES",
        "ReplaySpec", "TokenUsage", "available_providers", "bundled_overlay_path",
        "bundled_personas", "bundled_prices_path", "create_provider", "full_model_name",
        "item_key", "load_overlay", "load_persona", "load_prices", "persona_system_prompt",
        "replay_session", "session_opening", "session_topic", "split_model",
    ],
    "tutorloop.generate.providers": [
        "GROUP", "ProviderAPI", "available_providers", "create_provider", "full_model_name",
        "install_command", "split_model",
    ],
    "tutorloop.grade": [
        "ACTIONS", "AlignJudgeGrader", "CORE_CHECKS", "CURVE_FRACTIONS", "CVReport",
        "DEFAULT_AUDIT_SHARE", "EXTRA_CHECKS", "GradeEnv", "GraderKind", "GraderOutcome",
        "GraderSpec", "HeuristicConfig", "HeuristicReport", "JudgeVerdict", "LearnedGrader",
        "LearnedGraderSpec", "ModelBasedClassify", "RegistryCheck", "Sample",
        "StringCheckGrader", "StructuredJudge", "StudyModeGrader", "StudyModeHeuristics",
        "StudyModeJudgeGrader", "TURN_HEURISTICS_VERSION", "TURN_RULES", "TrainConfig",
        "TurnHeuristics", "TurnHeuristicsGrader", "TurnJudge", "TurnJudgeGrader", "TurnVerdict",
        "as_messages", "audit_pick", "dump_graders", "grader_class", "grader_from_spec",
        "grader_kinds", "grader_types", "grouped_cv", "ideals_of", "judge_review",
        "load_graders", "load_heuristic_config", "load_learned", "load_rubrics",
        "modelgraded_spec_name", "parse_criteria", "python_graders_refused", "registry_check",
        "registry_error", "registry_report", "registry_result", "save_learned", "train_learned",
        "training_data", "uses_python",
    ],
    "tutorloop.grade.graders": [
        "GradeEnv", "GraderOutcome", "GraderSpec", "Sample", "TemplateProblem",
        "TemplateRenderer", "dump_graders", "grader_types", "load_graders", "parse_criteria",
        "parse_grader", "python_graders_refused", "uses_python",
    ],
    "tutorloop.grade.heuristics": [
        "ACTIONS", "CORE_CHECKS", "EXTRA_CHECKS", "HEURISTICS_VERSION", "HeuristicConfig",
        "HeuristicReport", "SafetyConfig", "StudyModeGrader", "StudyModeHeuristics",
        "count_tokens", "load_heuristic_config", "mask_non_prose", "tag_actions",
    ],
    "tutorloop.grade.judge": [
        "ALIGN_SCHEMA", "AlignJudgeGrader", "DEFAULT_AUDIT_SHARE", "EVALUATION_INPUT_BEGIN",
        "EVALUATION_INPUT_END", "ItemKind", "JUDGE_PROMPT_VERSION", "JudgeOutputError",
        "JudgeReply", "JudgeReplyInvalid", "JudgeVerdict", "PREFERENCE_FIELDS",
        "PreferenceVerdict", "StructuredJudge", "StudyModeJudgeGrader", "UNKNOWN_TAG",
        "align_response_format", "audit_pick", "context_appended", "ensure_gradable",
        "evaluation_input_block", "item_kind", "judge_request", "judge_response_format",
        "judge_review", "parse_judge_reply", "prompt_sha256", "read_preference", "read_verdict",
        "render_judge_prompt", "safety_score", "validate_judge_json", "validate_reply",
    ],
    "tutorloop.grade.learned": [
        "CURVE_FRACTIONS", "CVReport", "FoldScores", "LearnedGrader", "LearnedGraderSpec",
        "LearnedSessionGrader", "TrainConfig", "TrainingData", "grouped_cv", "load",
        "load_learned_graders", "save", "train", "training_data",
    ],
    "tutorloop.grade.registry_evals": [
        "CLASS_PATHS", "EVAL_TYPES", "FuzzyMatch", "INVALID_CHOICE", "Includes", "JsonMatch",
        "MATCH_FNS", "Match", "ModelBasedClassify", "RegistryCheck", "SampleVerdict",
        "as_messages", "bootstrap_std", "error_result", "f1_score", "final_report",
        "fuzzy_match", "get_choice", "ideals_of", "json_equal", "modelgraded_spec_name",
        "normalize", "registry_check", "sample_result",
    ],
    "tutorloop.grade.turn": [
        "RULES", "Rubric", "TURN_HEURISTICS_VERSION", "TurnHeuristics", "TurnHeuristicsGrader",
        "TurnJudge", "TurnJudgeGrader", "TurnVerdict", "bundled_rubrics", "dialogue_signals",
        "final_answer", "last_student_turn", "load_rubrics", "prediction_input",
        "response_features", "student_turns", "turn_signals",
    ],
    "tutorloop.load": [
        "ConversionReport", "EvalDefinition", "EvalItem", "EvalRegistry", "Followed",
        "Follower", "ImportReport", "Item", "JsonProblem", "LABEL_FORMATS", "LINE_SUFFIXES",
        "LOG_FORMATS", "LabelFormat", "LabelSet", "Line", "Loaded", "MAX_LINE_BYTES_ENV",
        "RegistrySample", "SESSION_SUFFIXES", "Skipped", "ValidationReport",
        "check_output_item", "convert_logs", "decode_line", "detect_format",
        "detect_log_format", "estimate_records", "fetch_definition", "fetch_output_items",
        "import_eval", "input_files", "inputs_sha256", "item_turn_items", "items_of",
        "iter_eval_items", "iter_items", "iter_lines", "iter_loaded", "load_yaml_model",
        "looks_like_eval_items", "max_line_bytes", "output_item_rows", "parse_json",
        "parse_record", "read_definition", "read_labels", "read_output_items",
        "read_predictions", "read_text", "review_labelset", "session_turn_items",
        "validate_paths", "write_labels",
    ],
    "tutorloop.load.importers": [
        "DEFAULT_DOMAIN", "IMPORTERS", "Imported", "Importer", "LOG_FORMATS", "NATIVE",
        "check_format", "detect_log_format", "importer_for", "is_turns_csv", "read_log",
    ],
    "tutorloop.load.labels": [
        "LABEL_FORMATS", "LabelFormat", "LabelSet", "detect_format", "file_sha256",
        "item_turn_items", "read_labels", "read_predictions", "review_labelset",
        "session_turn_items", "write_labels",
    ],
    "tutorloop.present": [
        "ReportOptions", "append_summary", "build_report", "junit_xml", "monitor_page",
        "progress_bar", "render_agreement", "render_align_summary", "render_calibration",
        "render_comparison", "render_costs", "render_curve", "render_cv", "render_final_report",
        "render_gates", "render_judge_audit", "render_label_counts", "render_monitor",
        "render_next", "render_problems", "render_rater_agreement", "render_summary",
        "summary_markdown", "trend_svg", "write_junit", "write_report",
    ],
    "tutorloop.present.report": [
        "ExtraSection", "ReportData", "ReportOptions", "Trajectories", "Wanted", "build_report",
        "collect", "find_trajectories", "label_sections", "render_report", "write_report",
    ],
    "tutorloop.present.review": [
        "CheckView", "FILTERS", "QueryError", "QueueGroup", "QueuePage", "QueueQuery",
        "QueueRow", "ReviewCache", "RunRow", "SessionPage", "build_queue", "render_page",
        "run_rows", "session_page",
    ],
    "tutorloop.project": [
        "CONFIG_ENV", "CONFIG_FILE", "Calls", "GradeSection", "Paths", "ProjectConfig",
        "ReplaySection", "Thresholds", "config_schema", "find_config", "load_project",
        "read_config_file",
    ],
    "tutorloop.pulse": [
        "DECISION_FIELDS", "DEFAULT_GATE_KEY", "GateCondition", "GateOutcome", "GatePolicy",
        "GateReport", "GateRow", "MANAGED_FIELDS", "RunMode", "SmokeOptions", "SmokeOutcome",
        "bundled_refusal_dataset", "check_gates", "compare_conditions", "compare_runs",
        "evaluate_gates", "gate_run", "load_policy", "load_status", "parse_conditions",
        "patch_status", "run_local", "run_refusal_smoke", "status_v1_schema_path",
        "validate_status",
    ],
    "tutorloop.records": [
        "AlignRow", "Condition", "ESCALATE_DIMENSION", "EscalationReason", "EvalCheck",
        "EvalResult", "Evidence", "Failure", "Grade", "GraderError", "GraderResult",
        "HumanLabel", "ItemKind", "JudgeReview", "JudgedBecause", "JudgedCheck", "LabelAudit",
        "LabelInput", "LabelPrediction", "LabelSource", "LearnedManifest", "MRBENCH_DIMENSIONS",
        "Mode", "ModelGradedSpec", "NewerSchemaVersion", "OVERALL_DIMENSION",
        "OVER_SCAFFOLDING_CHECK", "OaiEvalReport", "PROGRESS_CHECK", "RECORDS",
        "RegenerationMeta", "RegistryEval", "ReplayArtifact", "ReviewLabel", "Role",
        "RunCounts", "RunManifest", "RunStatus", "SAFETY_CHECK", "SEVERITY_ORDER",
        "STUDY_MODE_CHECKS", "Session", "Severity", "Source", "StudyModeCheck",
        "StudyModeCheckName", "Turn", "TurnItem", "Usage", "Verdict", "VersionedRecord",
        "allowed_values", "json_schema", "lenient", "needs_attention", "row_key", "trusted",
    ],
    "tutorloop.run": [
        "AlertDesk", "AlertRule", "DEFAULT_SEED", "DriftConfig", "EngineReport", "Firing",
        "GradeConfig", "Graded", "ModelAccess", "ModelGrader", "ModelGrading", "ModelReach",
        "MonitorSnapshot", "OaiEvalOptions", "OutcomeSink", "PreparedEval", "Progress",
        "ReplayConfig", "ReplayReport", "ReplayWork", "RunConfig", "RunReport",
        "SIGNATURE_HEADER", "SamplingPolicy", "SessionGrader", "Sink", "StoredArtifacts",
        "StoredOutcomes", "WatchConfig", "WatchGrading", "WatchReport", "WatchSink",
        "WatchWork", "Webhook", "WebhookConfig", "artifact_outcome", "bucket_run_id",
        "build_result", "criteria_outcome", "current_drift", "errors_exceed", "evaluate_rules",
        "failed_outcome", "grade_entries_async", "grade_paths", "grade_run", "grader_grades",
        "ingest_sessions", "ingest_sessions_async", "iter_inputs", "load_watch_config",
        "metric_series", "monitor_snapshot", "new_manifest", "new_run_id", "oaieval",
        "oaieval_async", "oaieval_record_lines", "parse_seconds", "prepare_eval",
        "prepare_models", "replay_failed", "replay_paths", "replay_paths_async", "replay_specs",
        "replay_work", "replay_worker", "run_async", "run_sync", "sample_reason", "session_of",
        "session_time", "sign", "watch_folder", "write_oaieval_record",
    ],
    "tutorloop.serve": [
        "ServeConfig", "TOKEN_ENV", "create_app", "load_serve_config", "serve",
    ],
    "tutorloop.serve.openai_evals": [
        "RunExecutor", "router",
    ],
    "tutorloop.serve.review": [
        "ADMIN", "COOKIE_NAME", "Credentials", "Principal", "Role", "parse_reviewers",
        "reviewer_may",
    ],
    "tutorloop.sim": [
        "CONVERSATIONS", "MODELS", "Output", "Outputs", "SCRIPTS", "STUDY_REFUSAL", "Script",
        "SimProvider",
    ],
    "tutorloop.store": [
        "AlertDelivery", "AlertEpisode", "AlignStore", "ArtifactOutcome", "CallStore",
        "EXPORT_FORMATS", "EncodedOutcome", "EvalsApiTables", "FileOffset", "ItemOutcome",
        "JudgeCheckCounts", "LabelTable", "LedgerStats", "MIGRATIONS", "ReviewSample", "Store",
        "StoredArtifact", "StoredItem", "UnknownItem", "WatchRow", "WatchTables", "Watched",
        "atomic_path", "atomic_write_bytes", "atomic_write_text", "default_store_path",
        "encode_outcome", "export_run", "flatten_row", "migrate", "write_manifest",
    ],
}  # fmt: skip


def public_names(module: types.ModuleType) -> list[str]:
    return sorted(
        name
        for name, value in vars(module).items()
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, types.ModuleType)
    )


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_all_is_pinned_and_is_every_public_name(name):
    module = importlib.import_module(name)
    for exported in module.__all__:
        getattr(module, exported)  # a lazy export is bound on first read
    assert sorted(module.__all__) == PUBLIC[name]
    assert public_names(module) == PUBLIC[name]
    assert len(set(module.__all__)) == len(module.__all__)


def test_every_package_is_pinned():
    root = tutorloop.__path__[0]
    found = {"tutorloop"}
    for info in pkgutil.walk_packages([root], "tutorloop."):
        if info.ispkg:
            found.add(info.name)
    assert found == set(PUBLIC)


def test_dir_lists_the_lazy_names():
    assert set(tutorloop.__all__) <= set(dir(tutorloop))


def test_the_verb_grade_is_not_hidden_by_the_grade_stage():
    from tutorloop.grade import StudyModeHeuristics  # the stage, imported as every module does

    assert callable(tutorloop.grade) and not isinstance(tutorloop.grade, types.ModuleType)
    assert StudyModeHeuristics is importlib.import_module("tutorloop.grade").StudyModeHeuristics
    assert tutorloop.grade is importlib.import_module("tutorloop.api").grade
    assert asyncio.iscoroutinefunction(tutorloop.grade_async)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = tutorloop.no_such_name


def test_import_tutorloop_loads_no_stage():
    code = (
        "import sys, tutorloop; print(sorted(m for m in sys.modules if m.startswith('tutorloop')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert out.strip() == "['tutorloop', 'tutorloop._lazy']"
