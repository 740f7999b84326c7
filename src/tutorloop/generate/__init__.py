"""Generate: model providers, the Model wrapper, and session replay."""

from .config import ROLES, CallPolicy, Endpoint, ProviderSettings
from .ledger import CallLedger
from .model import CallContext, CallStats, Model
from .overlay import Overlay, bundled_overlay_path, load_overlay
from .personas import (
    LOGGED_TURNS_HEADER,
    PersonaCard,
    bundled_personas,
    load_persona,
    persona_system_prompt,
    session_opening,
    session_topic,
)
from .pricing import Price, PriceTable, bundled_prices_path, load_prices
from .providers.base import ProviderAPI
from .providers.registry import (
    available_providers,
    create_provider,
    full_model_name,
    split_model,
)
from .replay import ReplaySpec, item_key, replay_session
from .types import GenerateRequest, GenerateResponse, Message, Purpose, TokenUsage

__all__ = [
    "LOGGED_TURNS_HEADER",
    "ROLES",
    "CallContext",
    "CallLedger",
    "CallPolicy",
    "CallStats",
    "Endpoint",
    "GenerateRequest",
    "GenerateResponse",
    "Message",
    "Model",
    "Overlay",
    "PersonaCard",
    "Price",
    "PriceTable",
    "ProviderAPI",
    "ProviderSettings",
    "Purpose",
    "ReplaySpec",
    "TokenUsage",
    "available_providers",
    "bundled_overlay_path",
    "bundled_personas",
    "bundled_prices_path",
    "create_provider",
    "full_model_name",
    "item_key",
    "load_overlay",
    "load_persona",
    "load_prices",
    "persona_system_prompt",
    "replay_session",
    "session_opening",
    "session_topic",
    "split_model",
]
