"""What graders need from their run: model access, templates, sandbox policy and limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tutorloop.generate import CallContext
from tutorloop.grade.graders.templates import TemplateRenderer

GRADER_ROLE = "grader"
"""The role model graders call in unless their spec names an endpoint."""


@dataclass
class GradeEnv:
    """Shared by the graders of one run (passed in, never global)."""

    calls: CallContext | None = None
    """Model access for ``score_model``/``label_model``/judge; None when no grader needs it."""
    grader_model: str | None = None
    """Overrides every model grader's model (``--grader-model``), e.g. ``sim/study``."""
    default_provider: str = "openai"
    """A spec's bare model name (``gpt-4``) means ``<default_provider>/gpt-4``."""
    renderer: TemplateRenderer = field(default_factory=TemplateRenderer)
    python_timeout_s: float = 10.0
    python_memory_mb: int = 512
    python_graders: Literal["sandbox", "unsandboxed", "off"] = "sandbox"
    """How ``python`` graders run: in the bubblewrap sandbox (refused where there is none), as a
    plain child process (opt-in: the code can read what this user can read), or not at all."""
    bwrap_path: str = "bwrap"
    """The bubblewrap executable (a path, or a name looked up on ``PATH``)."""
    extras: dict[str, Any] = field(default_factory=dict)

    def model_name(self, spec_model: str) -> str:
        """The ``provider/model`` a model grader calls."""
        return self.route(spec_model)[0]

    def route(self, spec_model: str) -> tuple[str, str]:
        """``(provider/model, role)`` of a model grader whose spec names ``spec_model``.

        A spec's model may name an endpoint of the run (``judge``, or any configured endpoint):
        the grader then calls that endpoint's model there. Otherwise it calls in the ``grader``
        role: ``--grader-model`` when given, else the spec's model (a bare name gets the
        default provider).
        """
        endpoints = self.calls.endpoints if self.calls is not None else {}
        if self.grader_model:
            return self.grader_model, GRADER_ROLE
        if "/" not in spec_model and spec_model in endpoints:
            assert self.calls is not None
            return self.calls.endpoint_model(spec_model), spec_model
        if "/" in spec_model:
            return spec_model, GRADER_ROLE
        return f"{self.default_provider}/{spec_model}", GRADER_ROLE
