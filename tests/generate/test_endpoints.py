"""Per-role endpoints: a role with its own endpoint gets its own provider client and settings."""

import anyio
import pytest

from tutorloop.errors import ConfigError, scrub
from tutorloop.generate import (
    CallContext,
    Endpoint,
    GenerateRequest,
    Message,
    ProviderSettings,
)
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.sim import SimProvider


def request(model: str) -> GenerateRequest:
    return GenerateRequest(model=model, messages=(Message(role="user", content="hi"),))


def test_an_endpoint_gives_provider_settings_naming_only_its_key_variable():
    endpoint = Endpoint(model="anthropic/claude-x", base_url="http://127.0.0.1:9")
    settings = endpoint.settings()
    assert "api_key_env" not in settings.model_fields_set  # the provider's own default
    assert settings.base_url == "http://127.0.0.1:9" and settings.api == "chat"
    assert Endpoint(key_env="MINE").settings().api_key_env == "MINE"
    assert not Endpoint(model="openai/x").routes and Endpoint(api="responses").routes


def test_routed_roles_get_their_own_clients_and_the_rest_share_the_default(
    openai_wire, monkeypatch
):
    monkeypatch.setenv("JUDGE_API_KEY", openai_wire.api_key)
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    endpoints = {
        "judge": Endpoint(model="openai/j", base_url=openai_wire.base_url, key_env="JUDGE_API_KEY"),
        "tutor": Endpoint(model="openai/t"),  # a model only: the default settings
    }
    context = CallContext(
        settings=ProviderSettings(base_url=openai_wire.base_url), endpoints=endpoints
    )
    judge = context.provider("openai", "judge")
    assert judge is context.provider("openai", "judge")
    assert judge is not context.provider("openai")
    assert context.provider("openai", "tutor") is context.provider("openai")
    assert context.provider("openai", "learner") is context.provider("openai")
    assert judge.settings.api_key_env == "JUDGE_API_KEY"  # type: ignore[attr-defined]
    assert context.route("judge") == "@" + openai_wire.base_url and context.route("tutor") == ""
    anyio.run(context.aclose)


def test_an_endpoints_key_variable_is_scrubbed_whatever_its_name(monkeypatch):
    secret = "odd-" + "x" * 24
    monkeypatch.setenv("TUTOR_VLLM_TOKEN_VAR", secret)
    CallContext(endpoints={"tutor": Endpoint(key_env="TUTOR_VLLM_TOKEN_VAR")})
    assert secret not in scrub(f"the server said: bad key {secret}")


def test_a_model_may_be_named_by_its_endpoint():
    context = CallContext(endpoints={"strict": Endpoint(model="sim/study"), "bare": Endpoint()})
    model = context.model("strict")
    assert (model.name, model.role) == ("sim/study", "strict")
    assert context.model("sim/base", role="judge").role == "judge"
    with pytest.raises(ConfigError, match="endpoint 'bare' names no model"):
        context.model("bare")


def test_a_given_provider_serves_every_role_unless_one_is_given_for_the_role():
    everyone, judge_only = SimProvider(), SimProvider()
    routed = {"judge": Endpoint(base_url="http://127.0.0.1:9"), "tutor": Endpoint(key_env="X")}
    context = CallContext(providers={"sim": everyone, "sim@judge": judge_only}, endpoints=routed)
    assert context.provider("sim", "judge") is judge_only
    assert context.provider("sim", "tutor") is everyone
    assert context.provider("sim") is everyone


def test_model_graders_call_the_endpoint_their_spec_names():
    context = CallContext(endpoints={"judge": Endpoint(model="sim/study")})
    env = GradeEnv(calls=context)
    assert env.route("judge") == ("sim/study", "judge")
    assert env.route("gpt-4") == ("openai/gpt-4", "grader")
    assert env.route("sim/base") == ("sim/base", "grader")
    assert GradeEnv(calls=context, grader_model="sim/base").route("judge") == ("sim/base", "grader")


def test_a_routed_role_answers_through_its_own_server(openai_wire, monkeypatch):
    monkeypatch.setenv("ROLE_API_KEY", openai_wire.api_key)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    openai_wire.state.push_replies("from the judge's server")
    endpoints = {"judge": Endpoint(base_url=openai_wire.base_url, key_env="ROLE_API_KEY")}

    async def ask() -> str:
        async with CallContext(endpoints=endpoints) as context:
            response = await context.model("openai/judge-x", role="judge").generate(
                request("openai/judge-x")
            )
            with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
                context.provider("openai")  # the default settings have no key here
            return response.text

    assert anyio.run(ask) == "from the judge's server"
    assert [entry["model"] for entry in openai_wire.state.log] == ["judge-x"]
