"""The ``text_similarity`` grader: a similarity score in [0, 1] between two rendered templates.

``passed`` is ``score >= pass_threshold``. A testing criterion must give ``pass_threshold``
(:func:`.registry.parse_criteria` says so); a ``multi`` grader's sub-grader takes the graders
reference shape, without one, and then has only a score. Every metric is a small pure function of
``(text, reference)`` (:data:`METRICS`, :func:`similarity`), so a benchmark can call them
directly. The metrics, with the libraries that compute them:

* ``fuzzy_match``: ``rapidfuzz.fuzz.WRatio(text, reference, processor=default_process) / 100``
  (``default_process`` lower-cases, trims and replaces non-alphanumerics with spaces).
* ``bleu``: ``sacrebleu`` sentence BLEU (13a tokeniser, ``exp`` smoothing, effective order,
  case-sensitive) ``/ 100``, clipped to 1.0.
* ``gleu``: ``nltk`` ``sentence_gleu([reference_tokens], text_tokens)`` (1- to 4-grams),
  case-sensitive.
* ``meteor``: ``nltk`` ``single_meteor_score`` with exact and Porter-stem matching only. WordNet
  is not available offline, so **synonym matching is off** (a stand-in WordNet with no synsets);
  scores can be lower than the hosted API's when the texts use synonyms. METEOR lower-cases and
  keeps its fragmentation penalty, so identical texts score just below 1.0 (0.5 for one word,
  0.9995 for ten).
* ``rouge_1`` .. ``rouge_5``, ``rouge_l``: the ``rouge_score`` F-measure of ``rouge1`` ..
  ``rouge5`` / ``rougeL`` without stemming (``RougeScorer(..., use_stemmer=False)``): its tokens
  and formulas, with the counting done here (n-grams with ``Counter``, the LCS with rapidfuzz)
  because ``RougeScorer`` is slow on long texts; the tests check that the two agree. Its tokens
  are the ``[a-z0-9]`` runs of the lower-cased text, so accented letters are dropped and a text
  in a non-Latin script has no tokens (score 0.0); a text shorter than ``n`` tokens has no
  n-grams, so even identical short texts score 0.0 on ``rouge_n``.
* ``cosine``: the cosine similarity of the two texts' embeddings, clipped to [0, 1]. It needs an
  embedding model: ``GradeEnv.extras["embed"]``, an async callable ``list[str] ->
  list[list[float]]``. Without one the outcome is failed (there is no silent fallback).

The nltk metrics tokenise with :data:`TOKEN` (runs of word characters, and each other
non-space character alone: ``"don't!"`` → ``don ' t !``); no punkt model is needed.

Blank texts (empty or whitespace only) are handled before any metric, the same way for all:
both blank → 1.0 (identical texts); exactly one blank → 0.0. Without this rule the libraries
give 0.0 for two empty strings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import cache, partial
from typing import Any, Literal

from nltk.stem.porter import PorterStemmer  # type: ignore[import-untyped]
from nltk.translate.gleu_score import sentence_gleu  # type: ignore[import-untyped]
from nltk.translate.meteor_score import single_meteor_score  # type: ignore[import-untyped]
from rapidfuzz import fuzz, utils
from rapidfuzz.distance import LCSseq
from sacrebleu.metrics.bleu import BLEU

from tutorloop.grade.base import GraderOutcome, GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.templates import TemplateProblem

Metric = Literal[
    "fuzzy_match",
    "bleu",
    "gleu",
    "meteor",
    "cosine",
    "rouge_1",
    "rouge_2",
    "rouge_3",
    "rouge_4",
    "rouge_5",
    "rouge_l",
]
Embed = Callable[[list[str]], Awaitable[list[list[float]]]]

TOKEN = re.compile(r"\w+|[^\w\s]")
"""The tokeniser of the nltk metrics (``gleu``, ``meteor``)."""

_STEMMER = PorterStemmer()


class _NoWordNet:
    """Stands in for nltk's WordNet reader (not available offline): no word has synonyms."""

    def synsets(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


_NO_WORDNET = _NoWordNet()


def tokens(text: str) -> list[str]:
    """``text`` split by :data:`TOKEN`."""
    return TOKEN.findall(text)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def fuzzy_match(text: str, reference: str) -> float:
    """The rapidfuzz ``WRatio`` with ``default_process``, in [0, 1]."""
    return _unit(fuzz.WRatio(text, reference, processor=utils.default_process) / 100.0)


@cache
def _bleu() -> BLEU:
    return BLEU(effective_order=True)


def bleu(text: str, reference: str) -> float:
    """The sacrebleu sentence BLEU (as ``sentence_bleu(text, [reference])``), in [0, 1]."""
    return _unit(_bleu().sentence_score(text, [reference]).score / 100.0)


def gleu(text: str, reference: str) -> float:
    """The nltk sentence GLEU over :func:`tokens`, in [0, 1]."""
    return _unit(sentence_gleu([tokens(reference)], tokens(text)))


def meteor(text: str, reference: str) -> float:
    """The nltk METEOR over :func:`tokens`, exact and Porter-stem matches only, in [0, 1]."""
    score = single_meteor_score(
        tokens(reference), tokens(text), stemmer=_STEMMER, wordnet=_NO_WORDNET
    )
    return _unit(score)


_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    """``rouge_score``'s default tokens (no stemming): the ``[a-z0-9]`` runs of ``text.lower()``.

    Its tokeniser lower-cases, replaces ``[^a-z0-9]+`` with spaces, splits on spaces and drops
    empty tokens, which leaves exactly these runs.
    """
    return _ROUGE_TOKEN.findall(text.lower())


def _f_measure(common: int, predicted: int, target: int) -> float:
    precision, recall = common / max(predicted, 1), common / max(target, 1)
    if precision + recall <= 0:
        return 0.0
    return _unit(2 * precision * recall / (precision + recall))


def rouge_n(text: str, reference: str, n: int) -> float:
    """``rouge_score``'s ``rouge<n>`` F-measure (``RougeScorer`` without stemming).

    The same tokeniser and formula as ``RougeScorer([f"rouge{n}"]).score(reference, text)``,
    counted here with :class:`collections.Counter` (the tests compare the two).
    """
    target = _ngrams(rouge_tokens(reference), n)
    prediction = _ngrams(rouge_tokens(text), n)
    common = sum((target & prediction).values())
    return _f_measure(common, sum(prediction.values()), sum(target.values()))


def _ngrams(words: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(zip(*(words[i:] for i in range(n)), strict=False))


def rouge_l(text: str, reference: str) -> float:
    """``rouge_score``'s ``rougeL`` F-measure, with the LCS length computed by rapidfuzz.

    The same tokens and formula as ``RougeScorer(["rougeL"]).score(reference, text)`` (the
    tests compare them), about 100 times faster than its pure-Python LCS table on long texts.
    """
    target = rouge_tokens(reference)
    prediction = rouge_tokens(text)
    if not target or not prediction:
        return 0.0
    return _f_measure(LCSseq.similarity(target, prediction), len(prediction), len(target))


METRICS: dict[str, Callable[[str, str], float]] = {
    "fuzzy_match": fuzzy_match,
    "bleu": bleu,
    "gleu": gleu,
    "meteor": meteor,
    **{f"rouge_{n}": partial(rouge_n, n=n) for n in range(1, 6)},
    "rouge_l": rouge_l,
}
"""Every deterministic metric (all but ``cosine``) → its function of ``(text, reference)``."""


def _blank_rule(text: str, reference: str) -> float | None:
    text_blank, reference_blank = not text.strip(), not reference.strip()
    if text_blank and reference_blank:
        return 1.0
    if text_blank or reference_blank:
        return 0.0
    return None


def similarity(metric: str, text: str, reference: str) -> float:
    """The score of a deterministic ``metric``, with the blank-text rule applied first."""
    fixed = _blank_rule(text, reference)
    return fixed if fixed is not None else METRICS[metric](text, reference)


def cosine(a: list[float], b: list[float]) -> float:
    """The cosine similarity of two vectors, clipped to [0, 1]; raises ValueError if undefined."""
    if len(a) != len(b) or not a:
        raise ValueError(f"the embeddings have lengths {len(a)} and {len(b)}")
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    if not norm or not math.isfinite(norm):
        raise ValueError("an embedding has zero or non-finite length")
    return _unit(math.fsum(x * y for x, y in zip(a, b, strict=True)) / norm)


NO_EMBEDDING_MODEL = (
    "cosine similarity needs an embedding model: set GradeEnv.extras['embed'] to an async "
    "callable that maps a list of texts to a list of embedding vectors"
)


class TextSimilarityGrader(GraderSpec):
    """Scores how similar the rendered ``input`` is to ``reference`` with ``evaluation_metric``."""

    type: Literal["text_similarity"] = "text_similarity"
    input: str
    """The text graded, a template such as ``{{ sample.output_text }}``."""
    reference: str
    """The text graded against, a template such as ``{{ item.answer }}``."""
    pass_threshold: float | None = None
    """Required of a testing criterion; a ``multi`` sub-grader has none (score only)."""
    evaluation_metric: Metric

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        """Render both templates and score them; passes at ``pass_threshold`` or above."""
        embed: Embed | None = env.extras.get("embed")
        if self.evaluation_metric == "cosine" and not callable(embed):
            return self.failed(NO_EMBEDDING_MODEL, "NoEmbeddingModel")
        values = sample.model_dump()
        try:
            text = env.renderer.render(self.input, item, values)
            reference = env.renderer.render(self.reference, item, values)
        except TemplateProblem as exc:
            return self.failed(exc)
        fixed = _blank_rule(text, reference)
        try:
            if fixed is not None:
                score = fixed
            elif embed is not None and self.evaluation_metric == "cosine":
                vectors = await embed([text, reference])
                score = cosine(list(vectors[0]), list(vectors[1]))
            else:
                score = METRICS[self.evaluation_metric](text, reference)
        except Exception as exc:
            return self.failed(
                f"{self.evaluation_metric}: {type(exc).__name__}: {exc}", "MetricError"
            )
        threshold = self.pass_threshold
        return self.outcome(score=score, passed=None if threshold is None else score >= threshold)
