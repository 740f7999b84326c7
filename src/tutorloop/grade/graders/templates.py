"""``{{ item.x }}`` / ``{{ sample.output_text }}`` templates, rendered in jinja2's sandbox.

Lists and dicts render as JSON (as the hosted Evals API shows objects), strings as they are. An
undefined variable is an error (the grader records it) rather than silent empty text.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment


class TemplateProblem(ValueError):
    """A template that cannot be rendered for this item."""


def _finalize(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return value


class TemplateRenderer:
    """Compiles each template once; renders with ``item`` and ``sample`` in a sandbox."""

    def __init__(self) -> None:
        self._env = SandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, finalize=_finalize
        )
        self._cache: dict[str, Any] = {}

    def render(self, template: str, item: dict[str, Any], sample: dict[str, Any]) -> str:
        """Render ``template``; raises :class:`TemplateProblem` with the reason."""
        if "{{" not in template and "{%" not in template:
            return template
        compiled = self._cache.get(template)
        try:
            if compiled is None:
                compiled = self._cache[template] = self._env.from_string(template)
            return str(compiled.render(item=item, sample=sample))
        except TemplateError as exc:
            raise TemplateProblem(f"template {template[:60]!r}: {exc}") from exc
