"""Provider adapters and the registry that finds them by name (entry points, built-ins included)."""

from .base import ProviderAPI
from .registry import (
    GROUP,
    available_providers,
    create_provider,
    full_model_name,
    install_command,
    split_model,
)

__all__ = [
    "GROUP",
    "ProviderAPI",
    "available_providers",
    "create_provider",
    "full_model_name",
    "install_command",
    "split_model",
]
