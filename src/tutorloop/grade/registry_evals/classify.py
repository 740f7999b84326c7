"""``ModelBasedClassify``: a judge model classifies the candidate's completion with a spec.

The spec (``modelgraded/<name>.yaml``, :class:`~tutorloop.records.ModelGradedSpec`) gives the
judge's ``prompt`` with ``{field}`` placeholders, its ``choice_strings``, optional
``choice_scores`` and ``input_outputs`` (sample field whose prompt the candidate answers → the
placeholder that receives the completion). For each sample:

1. the candidate answers each ``input_outputs`` prompt
   (:meth:`ModelBasedClassify.candidate_prompts`);
2. the judge's prompt is filled from the sample's fields and the completions, and, when an
   ``eval_type`` is given in the eval's ``args`` (or the spec sets ``append_answer_prompt``),
   an instruction saying where to put the choice is appended to its last message;
3. the choice is read from the judge's reply (:func:`get_choice`): line by line (from the last
   line for ``cot_classify``), punctuation removed, the first line that matches a choice with
   ``match_fn`` (default: starts or ends with it). No match is the choice ``__invalid__``,
   which scores the lowest score.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tutorloop.grade.registry_evals.basic import SampleVerdict
from tutorloop.records import ModelGradedSpec

__all__ = [
    "EVAL_TYPES",
    "INVALID_CHOICE",
    "MATCH_FNS",
    "ModelBasedClassify",
    "as_messages",
    "get_choice",
    "prompt_text",
]

INVALID_CHOICE = "__invalid__"
"""The choice of a reply that names none of the choices."""

EVAL_TYPES: dict[str, str] = {
    "classify": (
        "Reply with exactly one of {choices} and nothing else: no quotes, no punctuation, "
        "no explanation."
    ),
    "classify_cot": (
        "On the first line, write exactly one of {choices} (no quotes or punctuation). "
        "Then, starting on the next line, explain step by step why."
    ),
    "cot_classify": (
        "Reason step by step before deciding; do not open with the verdict. Then write "
        "exactly one of {choices} (no quotes or punctuation) alone on the last line.\n\n"
        "Reasoning:"
    ),
}
"""Where each ``eval_type`` asks the judge to put its choice (our own wording)."""

MATCH_FNS: dict[str, Callable[[str, str], bool]] = {
    "include": lambda line, choice: line in choice,
    "exact": lambda line, choice: line == choice,
    "endswith": lambda line, choice: line.endswith(choice),
    "starts_or_endswith": lambda line, choice: line.startswith(choice) or line.endswith(choice),
}
"""How a cleaned reply line matches a choice (as openai/evals names them)."""

_PUNCTUATION = frozenset(string.punctuation)


def get_choice(
    text: str, eval_type: str, choices: list[str], match_fn: str = "starts_or_endswith"
) -> str:
    """The choice named in the judge's reply ``text``, or :data:`INVALID_CHOICE`."""
    matches = MATCH_FNS[match_fn]
    lines = text.strip().split("\n")
    if eval_type.startswith("cot_classify"):
        lines = lines[::-1]
    for raw in lines:
        line = "".join(c for c in raw.strip() if c not in _PUNCTUATION)
        if not line:
            continue
        for choice in choices:
            if matches(line, choice):
                return choice
    return INVALID_CHOICE


def prompt_text(prompt: str | list[dict[str, str]]) -> str:
    """A prompt as text.

    A string as it is; chat messages as ``role: content`` lines (a lone user message as its
    content).
    """
    if isinstance(prompt, str):
        return prompt
    if len(prompt) == 1 and prompt[0].get("role") == "user":
        return prompt[0].get("content", "")
    return "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in prompt)


def as_messages(prompt: str | list[dict[str, str]]) -> list[dict[str, str]]:
    """A prompt as chat messages: a string becomes one user message."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": m["role"], "content": m["content"]} for m in prompt]


def _choices(spec: ModelGradedSpec) -> list[str]:
    given = spec.choice_strings
    n = spec.multicomp_n
    if given in ("from_n", "from_n_abc", "from_n_ABC"):
        if not n:
            raise ValueError(f"choice_strings '{given}' needs multicomp_n in the spec")
        if given == "from_n":
            found = [str(i + 1) for i in range(n)]
        else:
            letters = string.ascii_lowercase if given == "from_n_abc" else string.ascii_uppercase
            found = [letters[i % 26] for i in range(n)]
    else:
        found = list(given)  # a string is its characters (choice_strings: ABCDE)
    for choice in found:
        if any(c in _PUNCTUATION for c in choice):
            raise ValueError(f"choice '{choice}' contains punctuation; choices cannot")
    return found


def _scores(spec: ModelGradedSpec, choices: list[str]) -> dict[str, float] | None:
    given = spec.choice_scores
    if given is None:
        return None
    if given == "from_strings":
        try:
            return {c: float(c) for c in choices}
        except ValueError as exc:
            raise ValueError("choice_scores 'from_strings' needs numeric choices") from exc
    if isinstance(given, str):
        raise ValueError("choice_scores must be a mapping of choice to score, or from_strings")
    missing = [c for c in choices if c not in given]
    if missing:
        raise ValueError(f"choice_scores has no score for {', '.join(missing)}")
    return {c: float(given[c]) for c in choices}


@dataclass(frozen=True)
class ModelBasedClassify:
    """A model-graded eval: the spec, and the ``eval_type`` / ``match_fn`` of the eval's args.

    Raises:
        ValueError: (at construction) choices with punctuation, scores that miss a choice,
            an unknown ``eval_type`` or ``match_fn``.
    """

    KIND: ClassVar[str] = "ModelBasedClassify"

    spec_name: str
    spec: ModelGradedSpec
    eval_type: str | None = None
    """From the eval's args: overrides the spec's and appends the answer instruction."""
    match_fn: str | None = None
    renamings: tuple[tuple[str, str], ...] = ()
    """The eval's ``samples_renamings``: sample fields renamed before anything reads them."""

    def renamed(self, sample: Mapping[str, Any]) -> dict[str, Any]:
        """``sample`` with its fields renamed as the eval's ``samples_renamings`` say."""
        names = dict(self.renamings)
        return {names.get(k, k): v for k, v in sample.items()}

    def __post_init__(self) -> None:
        kind = self.kind
        if kind not in EVAL_TYPES:
            raise ValueError(f"eval_type '{kind}' is not one of {', '.join(EVAL_TYPES)}")
        if self.matcher not in MATCH_FNS:
            raise ValueError(f"match_fn '{self.matcher}' is not one of {', '.join(MATCH_FNS)}")
        _scores(self.spec, _choices(self.spec))

    @property
    def kind(self) -> str:
        """The eval type the choice is read with (``classify`` when none is given)."""
        return self.eval_type or self.spec.eval_type or "classify"

    @property
    def matcher(self) -> str:
        """The ``match_fn`` name."""
        return self.match_fn or self.spec.match_fn

    @property
    def choices(self) -> list[str]:
        """The choices the judge picks from."""
        return _choices(self.spec)

    @property
    def scores(self) -> dict[str, float] | None:
        """The score of each choice, when the spec gives scores."""
        return _scores(self.spec, self.choices)

    def candidate_prompts(self, sample: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
        """Per completion placeholder, the messages the candidate answers.

        Raises:
            ValueError: the sample lacks a field ``input_outputs`` names.
        """
        sample = self.renamed(sample)
        prompts: dict[str, list[dict[str, str]]] = {}
        for field_name, output in self.spec.input_outputs.items():
            if field_name not in sample:
                raise ValueError(f"the sample has no field '{field_name}' (input_outputs)")
            prompts[output] = as_messages(sample[field_name])
        return prompts

    def judge_messages(
        self, sample: Mapping[str, Any], completions: Mapping[str, str]
    ) -> list[dict[str, str]]:
        """The judge's prompt, filled from the sample's fields and the completions.

        Raises:
            ValueError: a placeholder of the prompt has no value.
        """
        sample = self.renamed(sample)
        outputs = set(self.spec.input_outputs.values())
        values: dict[str, str] = {
            k: prompt_text(v) if isinstance(v, list) else str(v)
            for k, v in sample.items()
            if k not in outputs
        }
        values.update({k: str(v) for k, v in (self.spec.args or {}).items()})
        values.update(completions)
        messages = [dict(m) for m in as_messages(self.spec.prompt)]
        for message in messages:
            message["content"] = _fill(message["content"], values)
        if self.eval_type or self.spec.append_answer_prompt:
            listed = " or ".join(f'"{c}"' for c in self.choices)
            messages[-1]["content"] += "\n\n" + EVAL_TYPES[self.kind].format(choices=listed)
        return messages

    def verdict(self, reply: str) -> SampleVerdict:
        """The judge's choice in ``reply``: passed when valid (and of the top score, if scored)."""
        choice = get_choice(reply, self.kind, self.choices, self.matcher)
        scores = self.scores
        metrics: dict[str, float] = {}
        passed = choice != INVALID_CHOICE
        if scores is not None:
            score = scores.get(choice, min(scores.values()))
            metrics["score"] = score
            passed = passed and score == max(scores.values())
        reason = f"the judge chose {choice}" if choice != INVALID_CHOICE else (
            f"the judge's reply names none of {', '.join(self.choices)}"
        )  # fmt: skip
        return SampleVerdict(passed, choice, metrics, reason)


def _fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced (values are not formatted again)."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = sorted(names - set(values))
    if missing:
        raise ValueError(
            f"the judge prompt needs {', '.join(missing)}, which neither the sample nor the "
            f"completions give (they give: {', '.join(sorted(values))})"
        )
    return template.format(**{k: values[k] for k in names})
