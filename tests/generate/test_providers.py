"""One registry: tutorloop's own providers and plug-ins are entry points of the same group."""

from __future__ import annotations

import asyncio
import sys
import tomllib
import types
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from tutorloop.errors import ConfigError
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    GenerateRequest,
    GenerateResponse,
    Message,
    ProviderSettings,
    available_providers,
    create_provider,
)
from tutorloop.generate.providers import GROUP, install_command, registry
from tutorloop.generate.providers.openai import OpenAIProvider
from tutorloop.sim import SimProvider

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


class EchoProvider:
    """A third party's provider: repeats the last message."""

    name = "echo"
    connection_key = "echo"

    def __init__(self, settings: ProviderSettings, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    async def generate(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        return GenerateResponse(
            text=f"{model_name}: {request.messages[-1].content}", model=model_name
        )

    async def aclose(self) -> None:
        pass


@pytest.fixture
def plugins(monkeypatch):
    """Register extra entry points in the providers group, as an installed package would."""
    extra: list[EntryPoint] = []

    def patched(*, group: str) -> list[EntryPoint]:
        return [*entry_points(group=group), *(e for e in extra if e.group == group)]

    monkeypatch.setattr(registry, "entry_points", patched)
    return extra


@pytest.fixture
def echo_module(monkeypatch):
    module = types.ModuleType("tutorloop_echo_plugin")
    module.EchoProvider = EchoProvider  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tutorloop_echo_plugin", module)
    return module


def test_the_built_ins_are_entry_points_of_tutorloop_itself():
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"][GROUP]
    installed = {
        e.name: e for e in entry_points(group=GROUP) if e.dist and e.dist.name == "tutorloop"
    }
    assert {name: e.value for name, e in installed.items()} == declared
    assert set(declared) == {"anthropic", "google", "openai", "sim"}
    assert {k: available_providers()[k] for k in declared} == declared
    assert not hasattr(registry, "BUILTIN")


def test_built_ins_are_created_through_the_registry(monkeypatch):
    assert isinstance(create_provider("sim", ProviderSettings(), 5.0), SimProvider)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    openai = create_provider("openai", ProviderSettings(base_url="http://127.0.0.1:9/v1"), 5.0)
    assert isinstance(openai, OpenAIProvider)
    asyncio.run(openai.aclose())


def test_a_plug_in_registers_through_the_same_group(plugins, echo_module):
    plugins.append(EntryPoint("echo", "tutorloop_echo_plugin:EchoProvider", GROUP))
    assert available_providers()["echo"] == "tutorloop_echo_plugin:EchoProvider"
    assert isinstance(create_provider("echo", ProviderSettings(), 3.0), EchoProvider)

    async def call() -> str:
        async with CallContext(CallPolicy(cache=False)) as calls:
            request = GenerateRequest(
                model="echo/loud", messages=(Message(role="user", content="hi"),)
            )
            return (await calls.model("echo/loud").generate(request)).text

    assert asyncio.run(call()) == "loud: hi"


def test_a_plug_in_cannot_take_a_built_in_name(plugins, echo_module):
    plugins.append(EntryPoint("sim", "tutorloop_echo_plugin:EchoProvider", GROUP))
    assert isinstance(create_provider("sim", ProviderSettings(), 3.0), SimProvider)


def test_nothing_is_imported_until_a_provider_is_created(plugins):
    plugins.append(EntryPoint("later", "tutorloop_not_imported_yet:Factory", GROUP))
    assert "later" in available_providers()
    assert "tutorloop_not_imported_yet" not in sys.modules


def test_a_missing_sdk_says_what_to_install(plugins, tmp_path, monkeypatch):
    (tmp_path / "tutorloop_needs_sdk.py").write_text(
        "import fancy_llm_sdk_that_is_not_installed\n\nFactory = None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.append(EntryPoint("fancy", "tutorloop_needs_sdk:Factory", GROUP))
    with pytest.raises(ConfigError) as info:
        create_provider("fancy", ProviderSettings(), 3.0)
    assert "provider 'fancy' needs fancy_llm_sdk_that_is_not_installed" in info.value.message
    assert "pip install fancy_llm_sdk_that_is_not_installed" in info.value.message


def test_the_install_command_names_the_extra_that_brings_a_module():
    requires = [
        "pydantic>=2.7,<3",
        'google-genai>=1.0; extra == "google"',
        "anthropic>=0.40 ; extra == 'anthropic'",
        "openai[aiohttp]>=1.99",
    ]
    assert (
        install_command("google.genai", requires, "tutorloop") == "pip install 'tutorloop[google]'"
    )
    assert (
        install_command("anthropic", requires, "tutorloop") == "pip install 'tutorloop[anthropic]'"
    )
    assert install_command("openai", requires, "tutorloop") == "pip install 'openai'"
    assert install_command("mistralai.client", requires, "tutorloop") == "pip install mistralai"
    # the dev extra also brings the SDKs; the extra made for the provider is named first
    broad = ["anthropic>=0.40; extra == 'dev'", *requires]
    assert install_command("anthropic", broad, "tutorloop") == "pip install 'tutorloop[anthropic]'"


def test_an_unknown_provider_lists_the_known_ones(plugins):
    with pytest.raises(
        ConfigError, match="unknown provider 'nope'; choose one of: anthropic, google, openai, sim"
    ):
        create_provider("nope", ProviderSettings(), 3.0)


def test_stale_metadata_without_the_built_ins_says_to_reinstall(monkeypatch):
    monkeypatch.setattr(registry, "entry_points", lambda *, group: [])
    with pytest.raises(ConfigError, match=r"choose one of: none .*reinstall tutorloop"):
        create_provider("sim", ProviderSettings(), 3.0)
