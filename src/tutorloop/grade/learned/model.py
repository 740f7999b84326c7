"""Train, save, load and apply a learned turn grader (a folder: ``model.joblib`` + manifest).

Implementation 3 (the default) pickles an :class:`~.ensemble.Ensemble` whose members were chosen
from a pool on inner folds, with its tuned decision weights; the manifest lists both
(``config.members``: name → times picked; ``config.decision_weights``). Its members also read the
response-in-context features. Folders of implementation 2 (the three fixed members) and 1 (one
pipeline) still load and predict as before.

The model file is a joblib pickle: load only model folders you made or trust. The manifest
records the scikit-learn version, the training file's sha256 and the cross-validated scores,
and the version string hashes the config and the training data, so agreement numbers are
never mixed across models.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tutorloop._version import __version__
from tutorloop.atomic import atomic_path, atomic_write_text
from tutorloop.errors import ConfigError, UserError
from tutorloop.grade.learned.cv import CVReport, grouped_cv
from tutorloop.grade.learned.ensemble import Ensemble, fit_model
from tutorloop.grade.learned.pipeline import TrainConfig, build_pipeline, rows_of
from tutorloop.grade.turn import TurnVerdict
from tutorloop.records import LearnedManifest, TurnItem

IMPLEMENTATION = "3"
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"


_FITTED = ("decision_weights", "members")
"""Manifest ``config`` keys that record what fitting chose, not how to build the model."""


@dataclass(frozen=True)
class TrainingData:
    """Items, their labels on one dimension, their dialogue groups, and the source file."""

    dimension: str
    items: list[TurnItem]
    labels: list[str]
    groups: list[str]
    file_name: str
    sha256: str


@dataclass
class LearnedGrader:
    """A fitted learned grader: the scikit-learn pipeline and its manifest."""

    pipeline: Any
    manifest: LearnedManifest

    @property
    def name(self) -> str:
        """The grader's name."""
        return self.manifest.name

    @property
    def version(self) -> str:
        """The grader's version (implementation + config + training-data hash)."""
        return self.manifest.version

    @property
    def dimensions(self) -> list[str]:
        """The one dimension it grades."""
        return [self.manifest.dimension]

    def predict(self, items: Sequence[TurnItem], dimension: str) -> list[TurnVerdict]:
        """One verdict per item (empty for a dimension it was not trained on)."""
        if dimension != self.manifest.dimension or not items:
            return []
        config = TrainConfig.model_validate(
            {k: v for k, v in self.manifest.config.items() if k not in _FITTED}
        )
        rows = rows_of(items, config.history_chars)
        probabilities = self.pipeline.predict_proba(rows)
        labels = [str(c) for c in self.pipeline.predict(rows)]
        classes = [str(c) for c in self.pipeline.classes_]
        out = []
        for item, row, label in zip(items, probabilities, labels, strict=True):
            scores = {c: round(float(p), 4) for c, p in zip(classes, row, strict=True)}
            out.append(TurnVerdict(item.item_id, dimension, label, scores[label], "", scores))
        return out


def train(
    data: TrainingData, config: TrainConfig, *, cv: bool = True
) -> tuple[LearnedGrader, CVReport | None]:
    """Cross-validate (grouped by dialogue) and fit on all of ``data``.

    Raises:
        UserError: fewer than two label values, or too few dialogues for the folds.
    """
    if len(set(data.labels)) < 2:
        raise UserError(
            f"dimension {data.dimension!r} has only the label {data.labels[0]!r} "
            "in the training data; a classifier needs at least two label values"
            if data.labels
            else f"no labels for dimension {data.dimension!r} in the training data"
        )
    report = None
    if cv:
        if len(set(data.groups)) < config.folds:
            raise UserError(
                f"{len(set(data.groups))} dialogue(s) cannot fill {config.folds} folds; "
                "label more dialogues or lower --folds"
            )
        report = grouped_cv(data.items, data.labels, data.groups, data.dimension, config)
    import sklearn
    from threadpoolctl import threadpool_limits

    build_pipeline(config)  # load scikit-learn and its BLAS first, so the limit applies to it
    with threadpool_limits(limits=1):
        rows = rows_of(data.items, config.history_chars)
        pipeline = fit_model(rows, data.labels, data.groups, config)
    saved_config = config.model_dump()
    if isinstance(pipeline, Ensemble):
        classes = [str(c) for c in pipeline.classes_]
        saved_config["decision_weights"] = dict(zip(classes, pipeline.weights, strict=True))
        saved_config["members"] = dict(zip(pipeline.names, pipeline.counts, strict=True))
    blob = json.dumps(config.model_dump(), sort_keys=True) + data.sha256 + data.dimension
    digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:10]
    cv_scores: dict[str, float] = {}
    if report is not None:
        for grader in ("learned", "heuristic", "majority"):
            for metric in ("macro_f1", "lenient_macro_f1", "accuracy"):
                value = report.mean(grader, metric)
                if value == value:  # not NaN
                    cv_scores[f"{grader}.{metric}"] = round(value, 4)
    manifest = LearnedManifest(
        name=f"learned:{data.dimension}",
        version=f"learned/{IMPLEMENTATION}+{digest}",
        dimension=data.dimension,
        labels=sorted(str(c) for c in pipeline.classes_),
        sklearn_version=sklearn.__version__,
        tutorloop_version=__version__,
        training_file=data.file_name,
        training_sha256=data.sha256,
        items=len(data.items),
        groups=len(set(data.groups)),
        config=saved_config,
        cv=cv_scores,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return LearnedGrader(pipeline, manifest), report


def save(grader: LearnedGrader, folder: str | Path) -> Path:
    """Write ``model.joblib`` and ``manifest.json`` into ``folder`` (atomically each)."""
    import joblib

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    with atomic_path(target / MODEL_FILE) as tmp:
        joblib.dump(grader.pipeline, tmp)
    atomic_write_text(target / MANIFEST_FILE, grader.manifest.model_dump_json(indent=2) + "\n")
    return target


def load(folder: str | Path) -> LearnedGrader:
    """A learned grader saved by :func:`save`.

    Raises:
        ConfigError: the folder, its manifest or its model file is missing or unreadable.
    """
    import joblib

    target = Path(folder)
    manifest_path = target / MANIFEST_FILE
    if not manifest_path.is_file() or not (target / MODEL_FILE).is_file():
        raise ConfigError(
            f"not a learned grader folder (needs {MANIFEST_FILE} and {MODEL_FILE}); "
            "create one with: tutorloop learn train --labels FILE --dimension D --out DIR",
            path=str(target),
        )
    try:
        manifest = LearnedManifest.model_validate_json(manifest_path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ConfigError(first["msg"], path=str(manifest_path), field=field) from None
    try:
        pipeline = joblib.load(target / MODEL_FILE)
    except Exception as exc:  # a pickle can fail in many ways; all mean "cannot use it"
        raise ConfigError(
            f"cannot load the model: {type(exc).__name__}: {exc}; retrain it with this "
            f"tutorloop (it was made with scikit-learn {manifest.sklearn_version})",
            path=str(target / MODEL_FILE),
        ) from exc
    return LearnedGrader(pipeline, manifest)
