"""Generate: model providers, the Model wrapper, and session replay."""

from .config import CallPolicy, ProviderSettings
from .ledger import CallLedger
from .model import CallContext, CallStats, Model
from .pricing import Price, PriceTable, bundled_prices_path, load_prices
from .providers.base import ProviderAPI
from .providers.registry import available_providers, create_provider, split_model
from .types import GenerateRequest, GenerateResponse, Message, TokenUsage

__all__ = [
    "CallContext",
    "CallLedger",
    "CallPolicy",
    "CallStats",
    "GenerateRequest",
    "GenerateResponse",
    "Message",
    "Model",
    "Price",
    "PriceTable",
    "ProviderAPI",
    "ProviderSettings",
    "TokenUsage",
    "available_providers",
    "bundled_prices_path",
    "create_provider",
    "load_prices",
    "split_model",
]
