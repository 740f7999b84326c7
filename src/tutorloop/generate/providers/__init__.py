"""Provider adapters (``openai``, ``sim``) and the registry that finds them by name."""

from .base import ProviderAPI
from .registry import BUILTIN, available_providers, create_provider, split_model

__all__ = ["BUILTIN", "ProviderAPI", "available_providers", "create_provider", "split_model"]
