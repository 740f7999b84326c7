"""Providers by name: built-ins and plug-ins through one path, imported only when used.

Every provider, tutorloop's own included, is an entry point in the group ``tutorloop.providers``
whose value is a factory ``(settings: ProviderSettings, timeout_s: float) -> ProviderAPI``.
tutorloop declares ``anthropic``, ``google``, ``openai`` and ``sim`` in its ``pyproject.toml``
(``[project.entry-points."tutorloop.providers"]``) exactly as a plug-in package declares its own, so
there is one lookup for both. A provider's module is imported only when the provider is created:
a missing SDK matters only to the provider that needs it, and the error says what to install.
When a plug-in takes the name of one of tutorloop's own providers, tutorloop's stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points

from tutorloop.errors import ConfigError
from tutorloop.generate.config import ProviderSettings
from tutorloop.generate.providers.base import ProviderAPI

Factory = Callable[[ProviderSettings, float], ProviderAPI]

GROUP = "tutorloop.providers"
"""The entry-point group every provider registers in."""
_OWN = "tutorloop"
_OWN_PROVIDERS = ("anthropic", "google", "openai", "sim")
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_BROAD_EXTRAS = ("all", "dev", "test", "tests")
_EXTRA = re.compile(r"""\bextra\s*==\s*["']([^"']+)["']""")


def split_model(model: str) -> tuple[str, str]:
    """``provider/model`` → ``(provider, model)``; errors name the expected shape."""
    provider, sep, name = model.partition("/")
    if not sep or not provider or not name:
        raise ConfigError(
            f"model '{model}' must be written provider/model, e.g. openai/gpt-4.1-mini or sim/study"
        )
    return provider, name


def _distribution(entry: EntryPoint) -> str | None:
    return entry.dist.name if entry.dist is not None else None


def _entries() -> dict[str, EntryPoint]:
    """Every registered provider by name (tutorloop's own first on a clash)."""
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=GROUP):
        current = found.get(entry.name)
        if current is None or (_distribution(entry) == _OWN and _distribution(current) != _OWN):
            found[entry.name] = entry
    return found


def available_providers() -> dict[str, str]:
    """Every known provider name and where its factory lives (``module:attribute``)."""
    return {name: entry.value for name, entry in sorted(_entries().items())}


def create_provider(provider: str, settings: ProviderSettings, timeout_s: float) -> ProviderAPI:
    """Import and build the provider called ``provider``.

    Raises:
        ConfigError: no provider has that name, or its module needs a package that is not
            installed (the message says which ``pip install`` brings it).
    """
    entries = _entries()
    entry = entries.get(provider)
    if entry is None:
        valid = ", ".join(sorted(entries)) or "none"
        stale = [name for name in _OWN_PROVIDERS if name not in entries]
        hint = (
            f" (tutorloop's own provider(s) {', '.join(stale)} are not registered either: its "
            "installed metadata is out of date; reinstall tutorloop, e.g. pip install -e . in a "
            "checkout)"
            if stale
            else ""
        )
        raise ConfigError(f"unknown provider '{provider}'; choose one of: {valid}{hint}")
    try:
        factory: Factory = entry.load()
    except ImportError as exc:
        missing = exc.name or "a package"
        requires = entry.dist.requires if entry.dist is not None else None
        command = install_command(missing, requires or (), _distribution(entry))
        raise ConfigError(
            f"provider '{provider}' needs {missing}, which is not installed: {command}"
        ) from exc
    return factory(settings, timeout_s)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_command(missing: str, requires: Iterable[str], distribution: str | None) -> str:
    """The ``pip install`` that brings the module ``missing``.

    ``requires`` are the requirements of the distribution that registered the provider: when one
    of them provides the module (``google.genai`` ← ``google-genai``) behind an extra, the command
    installs the extra (``pip install 'tutorloop[google]'``; an extra made for the purpose before
    a broad one such as ``dev``), else the requirement itself; a module no requirement names is
    installed by its own name.
    """
    top = missing.split(".")[0]
    wanted = {_canonical(missing), _canonical(top)}
    found: list[str] = []
    for requirement in requires:
        name = _NAME.match(requirement)
        if name is None or _canonical(name[1]) not in wanted:
            continue
        extra = _EXTRA.search(requirement)
        if extra is None or distribution is None:
            found.append(f"pip install '{name[1]}'")
        elif extra[1] not in _BROAD_EXTRAS:
            return f"pip install '{distribution}[{extra[1]}]'"
        else:
            found.append(f"pip install '{distribution}[{extra[1]}]'")
    return found[0] if found else f"pip install {top}"
