"""Lazy re-exports for a package's ``__init__``: a name's module is imported on first use.

``import tutorloop`` then costs next to nothing, and ``tutorloop.grade`` imports the grading
stack only when it is first touched (PEP 562 module ``__getattr__``).

The package also has a subpackage named like a verb (``tutorloop.grade``, the grading stage,
beside ``tutorloop.grade()``, the verb). Importing a submodule makes Python set it as an attribute
of its package, which would hide the verb; the package's module class therefore keeps an exported
name from being replaced by a module. The subpackage stays importable in every ``from … import``
form (``from tutorloop.grade import StudyModeHeuristics``); only ``import tutorloop.grade as g``,
which reads the attribute, yields the verb.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


class _Package(ModuleType):
    """A package whose exported names are never replaced by a submodule of the same name."""

    _exports: Mapping[str, str]

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and name in self.__dict__.get("_exports", {}):
            return  # the import system binding the ``grade`` subpackage: the verb stays
        super().__setattr__(name, value)


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, which exports ``exports`` lazily.

    Args:
        package: The package's ``__name__``.
        exports: Each exported name → the module it is imported from.

    Returns:
        ``(__getattr__, __dir__)`` to assign in the package's ``__init__``.
    """
    module = sys.modules[package]
    module.__class__ = _Package
    module.__dict__["_exports"] = dict(exports)

    def __getattr__(name: str) -> Any:
        source = exports.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        module.__dict__[name] = value  # later reads skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(module.__dict__) | set(exports))

    return __getattr__, __dir__
