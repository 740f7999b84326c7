"""Providers by name: built-ins and plug-ins through one path, imported only when used.

A plug-in package adds an entry point in the group ``tutorloop.providers`` whose value is a
factory ``(settings: ProviderSettings, timeout_s: float) -> ProviderAPI``; built-ins register
the same way, so there is one lookup for both.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points

from tutorloop.errors import ConfigError
from tutorloop.generate.config import ProviderSettings
from tutorloop.generate.providers.base import ProviderAPI

Factory = Callable[[ProviderSettings, float], ProviderAPI]

BUILTIN: dict[str, str] = {
    "openai": "tutorloop.generate.providers.openai:OpenAIProvider",
    "sim": "tutorloop.sim.provider:SimProvider",
}


def split_model(model: str) -> tuple[str, str]:
    """``provider/model`` → ``(provider, model)``; errors name the expected shape."""
    provider, sep, name = model.partition("/")
    if not sep or not provider or not name:
        raise ConfigError(
            f"model '{model}' must be written provider/model, e.g. openai/gpt-4.1-mini or sim/study"
        )
    return provider, name


def available_providers() -> dict[str, str]:
    """Every known provider name and where its factory lives."""
    found = dict(BUILTIN)
    for entry in entry_points(group="tutorloop.providers"):
        found.setdefault(entry.name, entry.value)
    return found


def create_provider(provider: str, settings: ProviderSettings, timeout_s: float) -> ProviderAPI:
    """Import and build the provider called ``provider``."""
    target = available_providers().get(provider)
    if target is None:
        valid = ", ".join(sorted(available_providers()))
        raise ConfigError(f"unknown provider '{provider}'; choose one of: {valid}")
    module_name, _, attribute = target.partition(":")
    try:
        factory: Factory = getattr(import_module(module_name), attribute)
    except ImportError as exc:
        raise ConfigError(
            f"provider '{provider}' needs a package that is not installed ({exc.name}); "
            f"pip install it"
        ) from exc
    return factory(settings, timeout_s)
