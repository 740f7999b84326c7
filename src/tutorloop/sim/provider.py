"""``sim/<name>``: a deterministic SIMULATOR of tutors and learners for offline demos and tests.

This is **not a model**. It writes rule-based, canned text so that the replay and grading
pipeline can run end to end without a network, a key or a cost, and so that tests can pin exact
outputs. The same request always gives the same text: no randomness, no clock, no I/O.

Models (the part after ``sim/``): ``base`` and ``study``, simulated tutors (:mod:`.tutors`), and
``learner``, a simulated learner playing a persona card (:mod:`.learner`).

How it answers a request, in this order:

1. **Custom outputs**, when given (``SimProvider(outputs=...)``, as inspect's ``mockllm`` takes
   ``custom_outputs``): the next one, whatever the request. ``outputs`` is a list or any
   iterable (one answer per call, in order; running out is an error) or a function of the
   request; an answer is a string or a whole :class:`~tutorloop.generate.GenerateResponse`.
2. **A script**, for a request tagged with a purpose (``request.purpose``) that has one
   (:data:`.scripts.SCRIPTS`, plus or replaced by ``SimProvider(scripts={purpose: fn})``): the
   script's answer, computed from ``request.context`` only.
3. **The simulated conversation**: the model's own turn, for an untagged request or one tagged
   as a conversation turn (a replayed tutor or learner turn, an alignment candidate, a registry
   eval's candidate).

Anything else is a :class:`~tutorloop.errors.ProviderRequestError` that names the purpose and how
to supply answers: a request tagged with a purpose no script answers, or an untagged request
that asks for structured output (``response_format``). The simulator never guesses what a
request is from its prompt or its schema.

A run's models get a simulator with custom outputs through
``CallContext(providers={"sim": SimProvider(outputs=[...])})``.

Usage counts whitespace-separated words as tokens; ``max_output_tokens`` cuts a reply to that many
words.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import anyio

from tutorloop.errors import ProviderRequestError
from tutorloop.generate import (
    GenerateRequest,
    GenerateResponse,
    Message,
    ProviderSettings,
    Purpose,
    TokenUsage,
)
from tutorloop.sim.learner import learner_turn
from tutorloop.sim.scripts import SCRIPTS, Script
from tutorloop.sim.tutors import base_tutor, study_tutor

MODELS = ("base", "study", "learner")
"""The simulator's model names."""

CONVERSATIONS = frozenset(
    {Purpose.TUTOR, Purpose.LEARNER, Purpose.ALIGN_CANDIDATE, Purpose.REGISTRY_CANDIDATE}
)
"""Purposes that ask for a conversation turn: the simulated tutor or learner answers them."""

Output = str | GenerateResponse
"""One custom answer: its text, or a whole response."""
Outputs = Iterable[Output] | Callable[[GenerateRequest], Output]
"""Custom answers: one per call from an iterable, or a function of the request."""

_BEHAVIOURS: dict[str, Callable[[Sequence[Message]], str]] = {
    "base": base_tutor,
    "study": study_tutor,
    "learner": learner_turn,
}


class SimProvider:
    """The ``sim`` provider: a deterministic tutor and learner SIMULATOR, not a model.

    For offline demos and tests only. Calls never touch the network and cost nothing.

    Args:
        settings: The registry's provider settings (ignored).
        timeout_s: The registry's timeout (ignored).
        outputs: Answers to give instead of simulating: a list or iterable (one per call, in
            order) or a function of the request (see the module docstring).
        scripts: Scripts by purpose, added to (or replacing) the simulator's own.
    """

    name = "sim"

    def __init__(
        self,
        settings: ProviderSettings | None = None,
        timeout_s: float = 60.0,
        *,
        outputs: Outputs | None = None,
        scripts: Mapping[str, Script] | None = None,
    ) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self.scripts: dict[str, Script] = {**SCRIPTS, **(scripts or {})}
        self._function: Callable[[GenerateRequest], Output] | None = None
        self._iterator: Iterator[Output] | None = None
        self._served = 0
        if isinstance(outputs, str | GenerateResponse):
            raise TypeError("outputs must be a list (or iterable) of answers, or a function")
        if callable(outputs):
            self._function = outputs
        elif outputs is not None:
            self._iterator = iter(outputs)

    @property
    def connection_key(self) -> str:
        """All simulator calls share one (generous) limit."""
        return "sim"

    async def generate(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        """Answer ``request`` as the simulated ``model_name`` (see the module docstring).

        Raises:
            ProviderRequestError: ``model_name`` is not one of the simulator's models; the
                request's purpose has no script; an untagged request asks for structured
                output; the custom outputs ran out.
        """
        await anyio.sleep(0)  # a checkpoint, so cancellation and fairness work as for real calls
        custom = self._custom(request)
        if isinstance(custom, GenerateResponse):
            return custom
        text = custom if custom is not None else self._answer(request, model_name)
        words = text.split()
        if request.max_output_tokens is not None and len(words) > request.max_output_tokens:
            words = words[: request.max_output_tokens]
            text = " ".join(words)
        return GenerateResponse(
            text=text,
            model=model_name,
            usage=TokenUsage(
                input_tokens=sum(len(m.content.split()) for m in request.messages),
                output_tokens=len(words),
            ),
            response_id=f"sim-{request.fingerprint()[:16]}",
        )

    def _custom(self, request: GenerateRequest) -> Output | None:
        """The next custom output, or None when none were given."""
        if self._function is not None:
            return self._function(request)
        if self._iterator is None:
            return None
        try:
            found = next(self._iterator)
        except StopIteration:
            raise ProviderRequestError(
                f"the simulator's custom outputs ran out after {self._served} answer(s); give "
                "SimProvider(outputs=...) one answer per call, or a function of the request",
                status=400,
            ) from None
        self._served += 1
        return found

    def _answer(self, request: GenerateRequest, model_name: str) -> str:
        """The script's answer for a tagged request, else the simulated conversation's turn."""
        behaviour = _BEHAVIOURS.get(model_name)
        if behaviour is None:
            raise ProviderRequestError(
                f"unknown simulator model 'sim/{model_name}'; the sim provider has: "
                f"{', '.join(MODELS)} (e.g. sim/study)",
                status=404,
            )
        purpose = request.purpose
        script = self.scripts.get(purpose) if purpose is not None else None
        if script is not None:
            return script(request)
        if purpose is not None and purpose not in CONVERSATIONS:
            raise ProviderRequestError(
                f"sim/{model_name} has no script for requests with purpose '{purpose}' "
                f"(it scripts: {', '.join(sorted(self.scripts))}, and simulates tutor and "
                "learner turns); supply the answers: SimProvider(scripts={"
                f"'{purpose}': function of the request}}) or SimProvider(outputs=[...]), given "
                "to the run as CallContext(providers={'sim': ...})",
                status=400,
            )
        if purpose is None and request.response_format is not None:
            raise ProviderRequestError(
                f"sim/{model_name} simulates tutor and learner turns in plain text, and this "
                "request asks for structured output (response_format) without a purpose, so "
                "the simulator cannot tell what to answer (it never guesses from the prompt). "
                "Tag the request (GenerateRequest purpose= and context=) with a purpose the "
                "simulator scripts, or supply the answers: SimProvider(outputs=[...]) given "
                "to the run as CallContext(providers={'sim': ...})",
                status=400,
            )
        return behaviour(request.messages)

    async def embed(self, texts: list[str], model_name: str) -> list[list[float]]:
        """Deterministic bag-of-words vectors (a simulator: similar wording, similar vector)."""
        await anyio.sleep(0)
        return [_hashed_words(text) for text in texts]

    async def aclose(self) -> None:
        """Nothing to release."""


_EMBED_DIMENSIONS = 256


def _hashed_words(text: str) -> list[float]:
    """Counts of lower-cased words hashed (stably, with crc32) into a fixed-size vector."""
    vector = [0.0] * _EMBED_DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        vector[zlib.crc32(word.encode("utf-8")) % _EMBED_DIMENSIONS] += 1.0
    return vector
