"""A learned grader as a grader of the one protocol (kind ``learned``).

Its config is the model folder (``tutorloop learn train --out DIR``); its version is the one a
grading run stamps on learned results (the model's version + the start of its training file's
sha256), read from the manifest without loading the model. The model itself is a pickle, loaded
the first time the grader grades: build this kind only from your own config, never from a file
or a client you do not trust (the registry keeps it out of ``testing_criteria`` and the Evals
API). A session item is graded turn by turn as in a grading run
(:class:`~.sessions.LearnedSessionGrader`); a turn item (``history``, ``response``) gets the
model's label for that turn.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from tutorloop.errors import ConfigError
from tutorloop.grade.base import GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.inputs import session_of, turn_of
from tutorloop.grade.learned.model import MANIFEST_FILE, LearnedGrader, load
from tutorloop.grade.learned.sessions import LearnedSessionGrader
from tutorloop.grade.turn.spec import verdict_fields
from tutorloop.records import GraderResult, LearnedManifest


class LearnedGraderSpec(GraderSpec):
    """A scikit-learn model trained on human labels, grading sessions or single turns."""

    FULL_SPEC = False

    type: Literal["learned"] = "learned"
    name: str = Field(default="learned", min_length=1)
    path: str = Field(min_length=1)
    """The model folder (``model.joblib`` + ``manifest.json``)."""

    @cached_property
    def manifest(self) -> LearnedManifest:
        """The model's manifest (read without unpickling the model)."""
        file = Path(self.path) / MANIFEST_FILE
        try:
            return LearnedManifest.model_validate_json(file.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise ConfigError(
                f"not a learned grader's manifest: {exc}; create one with: tutorloop learn "
                "train --labels FILE --dimension D --out DIR",
                path=str(file),
            ) from exc

    @property
    def version(self) -> str:
        """The model's version and the start of its training data's sha256."""
        return f"{self.manifest.version}+{self.manifest.training_sha256[:8]}"

    @cached_property
    def model(self) -> LearnedGrader:
        """The fitted model, unpickled on first use."""
        return load(self.path)

    def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        """Grade a session turn by turn, or one tutor turn."""
        if "trajectory" in item:
            found = LearnedSessionGrader(self.model).grade(session_of(item))
            return found.model_copy(update={"name": self.name, "version": self.version})
        turn = turn_of(item)
        (verdict,) = self.model.predict([turn], self.manifest.dimension)
        return self.outcome(**verdict_fields(verdict, self.manifest.labels))
