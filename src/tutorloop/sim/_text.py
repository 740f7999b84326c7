"""What the ``sim`` SIMULATOR's tutors say: topic extraction, a tiny problem solver, canned text.

Everything here is deterministic. A *plan* is what the simulated tutors know about the learner's
first message: the topic, and, when it holds a small fraction sum, product or a linear equation
(``3x + 7 = 22``), the exact worked steps and answer, hints, a practice question and a recap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from math import lcm

_OPENERS = re.compile(
    r"^(?:hi|hello|hey|please|so|ok(?:ay)?|can you|could you|would you|will you|"
    r"help me(?: with| understand)?|teach me(?: about| how to)?|explain(?: to me)?|"
    r"i(?:'m|’m| am) stuck (?:on|with)|i need help (?:with|on)|"
    r"i want to (?:learn|understand)(?: about)?|i don'?t (?:get|understand)|tell me about|"
    r"show me|how (?:do|does|can|should)(?: i| you| we)?|why (?:do|does|is|are|did)|"
    r"what(?:'s|’s| is) the point of|what(?:'s|’s| is| are)|solve(?: for [a-z])?)\b[\s,:!.]*",
    re.IGNORECASE,
)
_CUT = re.compile(r"[?!;,:(]|\.(?:\s|$)|\s[—–-]\s|\s[\"'“‘]")
_SELF = re.compile(r"^(?:i|i'm|i’m|we|we're|we’re|my|our)\b", re.IGNORECASE)
_MARKER = re.compile(r"\b(?:on|about|with|get|understand|learn(?:ing)?|doing)\s+", re.IGNORECASE)
_CLAUSE = re.compile(r"\s(?:and|but|because|so)\s+(?:i|i'm|i’m|my|we|it)\b", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_TAIL = re.compile(r"(?:\s+(?:please|to me|for me|quickly|fast|now|again))+$", re.IGNORECASE)
_EQUATION = re.compile(r"(?<![\w/])(\d*)\s*([a-z])\s*([+-])\s*(\d+)\s*=\s*(-?\d+)(?![\w/])")
_EXPRESSION = re.compile(
    r"(?<![\w/.])(\d+)(?:/([1-9]\d*))?\s*([+×*-])\s*(\d+)(?:/([1-9]\d*))?(?![\w/]|\.\d)"
)
_NUMBER = re.compile(r"(?<![\w/.])-?\d+(?:/[1-9]\d*)?(?![\w/]|\.\d)")


@dataclass(frozen=True)
class Plan:
    """What a simulated tutor knows about the learner's question."""

    family: str
    """``fraction``, ``equation`` or ``general``: picks the base tutor's facts."""
    topic: str
    """How the tutor names the topic, e.g. ``adding fractions like 2/3 + 3/4``."""
    text: str
    """The problem as written, or the topic when there is no problem."""
    steps: str
    """The worked solution (general steps when there is no problem)."""
    answer: Fraction | None
    answer_text: str | None
    hints: tuple[tuple[str, str], ...]
    """(micro-explanation, question without its "?") pairs, in teaching order."""
    practice: str
    recap: str
    twin: str | None = None
    """A similar problem to work instead of the learner's homework."""
    given: frozenset[Fraction] = frozenset()
    """Numbers of the problem itself: ignored when judging an attempt."""
    fine: frozenset[Fraction] = frozenset()
    """The answer and the right intermediate results."""
    multiple_of: int = 0
    """Any positive multiple of this (a common denominator) is a right intermediate result."""


def topic_of(text: str) -> str:
    """The topic of a learner's opening message, without openers such as "teach me".

    Rough by design: "I'm stuck on python loops, can you help?" gives ``python loops``.
    """
    topic = text.strip()
    while (stripped := _OPENERS.sub("", topic, count=1)) != topic:
        topic = stripped
    topic = _CUT.split(topic, maxsplit=1)[0]
    if _SELF.match(topic) and (marker := _MARKER.search(topic)):
        topic = topic[marker.end() :]  # "I have a test on X and ..." → "X and ..."
    topic = _ARTICLE.sub("", _CLAUSE.split(topic, maxsplit=1)[0])
    topic = _TAIL.sub("", topic).strip(" .!?\"'")
    return " ".join(topic.split()[:8]) or "this topic"


def general_plan(topic: str) -> Plan:
    """A plan for a topic with no problem the simulator can solve."""
    return Plan(
        family="general",
        topic=topic,
        text=topic,
        steps=(
            "First, write down exactly what the question asks. Second, apply the main rule of "
            f"{topic} to one small case. Third, check the result against that rule before you "
            "move on."
        ),
        answer=None,
        answer_text=None,
        hints=(
            (
                f"Let's take {topic} one small piece at a time: first say what you start with "
                "and what you want to end up with.",
                "what is one thing you already know that could help here",
            ),
            (
                f"Topics like {topic} come down to a few rules used again and again, so a "
                "tiny example is the fastest way in.",
                "can you try one small example and tell me what happens",
            ),
            (
                "Mistakes are useful here, because each one shows exactly which step needs "
                "another look.",
                f"which part of {topic} feels least clear to you right now",
            ),
        ),
        practice=f"can you make up one new example of {topic} and walk me through it",
        recap=f"with {topic}, take one small step, try it on an example, and say why it works",
    )


def parse_problem(text: str) -> Plan | None:
    """A plan for the first linear equation or two-number sum/product in ``text``, if any."""
    found = _EQUATION.search(text)
    if found and int(found[1] or "1") != 0:
        return _equation(found)
    found = _EXPRESSION.search(text)
    return _expression(found) if found else None


def _equation(m: re.Match[str]) -> Plan:
    a, var, sign, c = int(m[1] or "1"), m[2], m[3], int(m[5])
    b = int(m[4]) if sign == "+" else -int(m[4])
    coef = "" if a == 1 else str(a)
    rhs, x = c - b, Fraction(c - b, a)
    text = f"{coef}{var} {sign} {m[4]} = {c}"
    undo = f"Subtract {b} from" if b >= 0 else f"Add {-b} to"
    steps = f"{undo} both sides: {coef}{var} = {rhs}."
    if a != 1:
        steps += f" Then divide both sides by {a}: {var} = {x}."
    return Plan(
        family="equation",
        topic=f"solving equations like {text}",
        text=text,
        steps=steps,
        answer=x,
        answer_text=f"{var} = {x}",
        hints=(
            (
                f"To get {var} on its own, undo what was done to it in reverse order, doing the "
                "same thing to both sides.",
                f"what would you do to both sides first, to leave {coef}{var} by itself",
            ),
            (
                f"Whatever value you find, you can check it by putting it back into {text}.",
                f"what value of {var} makes both sides equal",
            ),
        ),
        practice=f"if 2{var} + 5 = 13, what is {var}",
        recap="undo each operation in reverse order, do the same to both sides, then substitute "
        "to check",
        twin="3x + 4 = 19" if text == "2x + 5 = 13" else "2x + 5 = 13",
        given=frozenset(Fraction(n) for n in (a, abs(b), c)),
        fine=frozenset({x, Fraction(rhs)}),
    )


def _expression(m: re.Match[str]) -> Plan:
    n1, d1, op, n2, d2 = int(m[1]), int(m[2] or 1), m[3], int(m[4]), int(m[5] or 1)
    f1, f2 = Fraction(n1, d1), Fraction(n2, d2)
    sym = "×" if op in "×*" else op
    text = f"{m[1]}{'/' + m[2] if m[2] else ''} {sym} {m[4]}{'/' + m[5] if m[5] else ''}"
    result = f1 * f2 if sym == "×" else f1 + f2 if sym == "+" else f1 - f2
    given = frozenset({f1, f2, *(Fraction(n) for n in (n1, d1, n2, d2))})
    if not (m[2] or m[5]):
        plan = general_plan(f"working out {text}")
        return replace(
            plan,
            text=text,
            steps=f"Work it out one operation at a time: {text} = {result}.",
            answer=result,
            answer_text=str(result),
            practice="what is 7 × 8",
            given=given,
            fine=frozenset({result}),
        )
    if sym == "×":
        top, bottom, common = n1 * n2, d1 * d2, 0
        steps = (
            f"Multiply the tops and the bottoms straight across: {n1} times {n2} is {top} and "
            f"{d1} times {d2} is {bottom}, so you get {top}/{bottom}."
        )
        hints = (
            (
                "Multiplying fractions is the friendly case: no common denominator is needed, "
                "you multiply straight across.",
                "what do you get when you multiply the two tops together",
            ),
            (
                "Then multiply the two bottoms the same way, and simplify at the end if you can.",
                f"what is {text} in lowest terms",
            ),
        )
        verb, practice, twin = "multiplying", "what is 2/3 × 3/5", "1/2 × 2/5"
        recap = "multiply the tops, multiply the bottoms, then simplify"
    else:
        common = lcm(d1, d2)
        a1, a2 = n1 * common // d1, n2 * common // d2
        top, bottom = (a1 + a2 if sym == "+" else a1 - a2), common
        steps = (
            f"Rewrite both fractions over the common denominator {common}: "
            f"{a1}/{common} {sym} {a2}/{common} = {top}/{common}."
        )
        hints = (
            (
                "Fractions only combine cleanly when the pieces are the same size, so both "
                "need the same denominator first.",
                f"what number could both {d1} and {d2} divide into evenly",
            ),
            (
                f"With both fractions over {common}, you combine only the tops, and the bottom "
                f"stays {common}.",
                f"what is {text} once both are written over {common}",
            ),
        )
        adding = sym == "+"
        verb = "adding" if adding else "subtracting"
        practice = "what is 1/3 + 1/4" if adding else "what is 3/4 - 1/3"
        twin = "1/2 + 1/3" if adding else "5/6 - 1/4"
        recap = "give both fractions the same denominator, rewrite each one, then combine the tops"
    if f"{top}/{bottom}" != str(result):
        steps += f" That simplifies to {result}."
    return Plan(
        family="fraction",
        topic=f"{verb} fractions like {text}",
        text=text,
        steps=steps,
        answer=result,
        answer_text=str(result),
        hints=hints,
        practice=practice,
        recap=recap,
        twin=twin if twin != text else None,
        given=given,
        fine=frozenset({result, Fraction(top), Fraction(bottom)} if sym == "×" else {result}),
        multiple_of=common,
    )


def judge(plan: Plan, text: str) -> bool | None:
    """Whether the numbers in ``text`` are right for ``plan`` (None: nothing to judge)."""
    if plan.answer is None:
        return None
    values = [v for v in map(Fraction, _NUMBER.findall(text)) if v not in plan.given]
    if not values:
        return None
    return any(
        v == plan.answer
        or v in plan.fine
        or (plan.multiple_of > 0 and v.denominator == 1 and v > 0 and v % plan.multiple_of == 0)
        for v in values
    )


BASE_FACTS: dict[str, str] = {
    "fraction": (
        "A few facts worth knowing. A fraction names part of a whole: the denominator says how "
        "many equal pieces the whole is cut into, and the numerator says how many of those "
        "pieces you have. You can only add or subtract fractions directly when the denominators "
        "match, because only then are the pieces the same size. The smallest shared denominator "
        "is the least common multiple of the two denominators. Multiplying the top and the "
        "bottom of a fraction by the same number never changes its value. When you multiply "
        "fractions you multiply the tops and the bottoms straight across. Finally, always "
        "simplify by dividing the top and the bottom by their greatest common factor."
    ),
    "equation": (
        "A few facts worth knowing. An equation says that two expressions are equal, like a "
        "balanced scale. Whatever you do to one side you must also do to the other, or the "
        "balance breaks. To isolate the unknown, undo the operations applied to it in reverse "
        "order: first undo any addition or subtraction, then undo multiplication or division. "
        "Adding the same number to both sides, or dividing both sides by the same non-zero "
        "number, keeps the equation true. You can always check a solution by substituting it "
        "back into the original equation. A linear equation like this one has exactly one "
        "solution whenever the number in front of the unknown is not zero."
    ),
    "general": (
        "A few facts worth knowing. First, every idea in {topic} rests on a definition, so it "
        "pays to learn the exact wording of the key terms. Second, worked examples show the "
        "rules in action: read one slowly and label what each step does. Third, most mistakes "
        "in {topic} come from skipping a step, so writing every step down is worth the time. "
        "Fourth, the same patterns come back again and again, and once you recognise them new "
        "problems turn into variations of old ones. Fifth, practice spread over several days "
        "beats one long session, because recalling an idea after a gap makes it stick."
    ),
}
"""The base tutor's lecture, by plan family (``{topic}`` is filled in)."""
