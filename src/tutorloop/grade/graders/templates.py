"""``{{ item.x }}`` / ``{{ sample.output_text }}`` templates, rendered in a bounded jinja2 sandbox.

Lists and dicts render as JSON (as the hosted Evals API shows objects), strings as they are. An
undefined variable is an error (the grader records it) rather than silent empty text.

A template comes from whoever created the eval, so its rendering is bounded:

* **size**: the output stops at ``max_chars``; string repetition (``'x' * n``), ``**``,
  ``+``/``~`` joins, numeric call arguments and format widths that would build a larger value
  are refused before the value is built;
* **time**: a render that runs past ``time_limit_s`` is stopped (a line tracer watches the
  template's own frames), whatever loops it nests.

Either limit makes the render a :class:`TemplateProblem`, which the grader records as its error.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["MAX_TEMPLATE_CHARS", "TEMPLATE_TIME_LIMIT_S", "TemplateProblem", "TemplateRenderer"]

MAX_TEMPLATE_CHARS = 1_000_000
"""Characters a render may produce (and any value it builds may hold)."""
TEMPLATE_TIME_LIMIT_S = 1.0
"""Seconds a render may run."""

_TEMPLATE_FILE = "<template>"
_WIDE_FORMAT = re.compile(r"\d{7,}")
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice"})


class TemplateProblem(ValueError):
    """A template that cannot be rendered for this item."""


class _TooBig(TemplateError):
    pass


class _TooSlow(Exception):  # not a TemplateError: jinja must not swallow or rewrap it
    pass


def _finalize(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return value


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return 0


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to the environment's size-checked join."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        """Write a call of ``environment.bounded_join``."""
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, refusing to build values larger than ``max_chars``."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+"})

    def __init__(self, max_chars: int) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
        self.max_chars = max_chars
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}
        for unbounded in ("lipsum", "cycler", "joiner"):
            self.globals.pop(unbounded, None)

    def _refuse(self, what: str) -> _TooBig:
        return _TooBig(f"{what} would exceed the template output limit of {self.max_chars} chars")

    def bounded_join(self, parts: Iterable[Any]) -> str:
        """``a ~ b ~ ...`` as one string, refused when it would be too long."""
        texts = [str(p) for p in parts]
        if sum(len(t) for t in texts) > self.max_chars:
            raise self._refuse("joining text")
        return "".join(texts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``*``, ``**`` and ``+`` with their result's size checked first."""
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if _size(seq) and isinstance(count, int) and _size(seq) * count > self.max_chars:
                    raise self._refuse("repeating a value")
            return left * right
        if operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                if abs(left) > 1 and right * max(abs(left).bit_length(), 1) > 64 * 1024:
                    raise self._refuse("raising a number to this power")
            elif isinstance(right, int | float) and abs(right) > 10_000:
                raise self._refuse("raising a number to this power")
            return left**right
        if operator == "+" and _size(left) + _size(right) > self.max_chars:
            raise self._refuse("adding values")
        return left + right

    def _check_widths(self, args: Iterable[Any]) -> None:
        for arg in args:
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > self.max_chars:
                raise self._refuse(f"a width of {arg}")

    def _check_replace(self, text: Any, old: Any, new: Any) -> None:
        if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
            grows = len(new) - len(old)
            if grows > 0 and len(text) + (text.count(old) + 1) * grows > self.max_chars:
                raise self._refuse("replacing text")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """A sandboxed call, with widths and replacements bounded."""
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            if name in _WIDTH_METHODS:
                __self._check_widths([*args, *kwargs.values()])
            elif name == "replace" and len(args) >= 2:
                __self._check_replace(owner, args[0], args[1])
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``, sandboxed by jinja2, with its widths bounded."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        owner = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            if _WIDE_FORMAT.search(owner) or ("{" in owner.partition(":")[2]):
                self._check_widths([*args, *kwargs.values()])
            if _WIDE_FORMAT.search(owner):
                raise self._refuse("a format width")
            return wrapped(*args, **kwargs)

        return bounded

    def _bounded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        passes = getattr(function, "jinja_pass_arg", None)
        skip = 1 if passes is not None else 0  # the context/environment jinja passes first

        def bounded(*args: Any, **kwargs: Any) -> Any:
            values = args[skip:]
            if name in _WIDTH_FILTERS:
                self._check_widths([*values[1:], *kwargs.values()])
            elif name == "format" and values and isinstance(values[0], str):
                if _WIDE_FORMAT.search(values[0]):
                    raise self._refuse("a format width")
            elif name == "replace" and len(values) >= 3:
                self._check_replace(values[0], values[1], values[2])
            return function(*args, **kwargs)

        if passes is not None:  # keep jinja's context/environment passing
            bounded.jinja_pass_arg = passes  # type: ignore[attr-defined]
        bounded.__name__ = getattr(function, "__name__", "filter")
        return bounded


class TemplateRenderer:
    """Compiles each template once; renders with ``item`` and ``sample`` in a bounded sandbox."""

    def __init__(
        self,
        max_chars: int = MAX_TEMPLATE_CHARS,
        time_limit_s: float = TEMPLATE_TIME_LIMIT_S,
    ) -> None:
        self._env = _BoundedSandbox(max_chars)
        self.max_chars = max_chars
        self.time_limit_s = time_limit_s
        self._cache: dict[str, Any] = {}

    def render(self, template: str, item: dict[str, Any], sample: dict[str, Any]) -> str:
        """Render ``template``; raises :class:`TemplateProblem` with the reason."""
        if "{{" not in template and "{%" not in template:
            return template
        shown = f"template {template[:60]!r}"
        try:
            compiled = self._cache.get(template)
            if compiled is None:
                compiled = self._env.from_string(template)
                if len(self._cache) < 1024:
                    self._cache[template] = compiled
            return self._bounded(compiled, item, sample)
        except TemplateProblem:
            raise
        except _TooSlow:
            raise TemplateProblem(
                f"{shown}: rendering took more than {self.time_limit_s:g} s; simplify its loops"
            ) from None
        except TemplateError as exc:
            raise TemplateProblem(f"{shown}: {exc}") from exc
        except (ArithmeticError, MemoryError, RecursionError, TypeError, ValueError) as exc:
            raise TemplateProblem(f"{shown}: {type(exc).__name__}: {exc}") from exc

    def _bounded(self, compiled: Any, item: dict[str, Any], sample: dict[str, Any]) -> str:
        deadline = time.monotonic() + self.time_limit_s

        def watch_line(frame: FrameType, event: str, arg: Any) -> Any:
            if time.monotonic() > deadline:
                raise _TooSlow
            return watch_line

        def watch_call(frame: FrameType, event: str, arg: Any) -> Any:
            if frame.f_code.co_filename == _TEMPLATE_FILE:
                return watch_line(frame, event, arg)
            return None

        previous = sys.gettrace()
        sys.settrace(watch_call)
        try:
            parts: list[str] = []
            total = 0
            for part in compiled.generate(item=item, sample=sample):
                total += len(part)
                if total > self.max_chars:
                    raise TemplateProblem(
                        f"the template's output passed the limit of {self.max_chars} chars"
                    )
                parts.append(part)
            return "".join(parts)
        finally:
            sys.settrace(previous)
