"""Data that ships with tutorloop: example sessions for the demo and the tests."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path


def bundled_graders() -> Path:
    """The bundled Study Mode tutoring eval: seven ``score_model`` graders (testing_criteria)."""
    return Path(str(files("tutorloop") / "data" / "graders" / "tutoring.yaml"))


def bundled_policy() -> Path:
    """The bundled Study Mode release policy (gates over a graded replay run)."""
    return Path(str(files("tutorloop") / "data" / "policies" / "study_mode.yaml"))


def bundled_registry() -> Path:
    """The bundled registry folder (openai/evals layout): small evals of our own, by name."""
    return Path(str(files("tutorloop") / "data" / "registry"))


def bundled_sessions() -> Path:
    """The folder of bundled example sessions (original examples, Apache-2.0)."""
    return Path(str(files("tutorloop") / "data" / "sessions"))


def bundled_mrbench() -> Path:
    """MRBench V2: 1,655 tutor responses labelled on 8 dimensions (CC BY-SA 4.0, Maurya et al.)."""
    return Path(str(files("tutorloop") / "data" / "labels" / "mrbench_v2.json"))


def bundled_session_labels() -> Path:
    """The authors' labels of the bundled sessions (each check's verdict, escalate yes/no)."""
    return Path(str(files("tutorloop") / "data" / "labels" / "study_mode_sessions.jsonl"))


_OPENINGS = (
    "teach me {topic}",
    "I'm stuck on {topic}, can you help?",
    "can you explain {topic} to me",
)
_TOPICS = ("python loops", "fractions", "prompt roles", "linear equations", "lists", "ratios")
_TUTOR = (
    "Happy to help. What do you already know about {topic}?",
    "Good start. {topic} is easier in small steps. Your turn: try the first step?",
    "Exactly right. In your own words, why does this work?",
    "Nice. Here is a quick quiz: which step comes next?",
    "The answer is 12, therefore we are done. Let me also explain everything at length. "
    "There are many details to cover about {topic} and each of them matters a great deal.",
    "What is it? How does it work? Why should you care?",
)
_LEARNER = ("not much", "I think it is 4", "ok", "just give me the answer", "got it", "why?")


def synthetic_session(index: int, turns: int = 16) -> dict[str, object]:
    """A deterministic, varied synthetic session (for benchmarks and scale tests)."""
    topic = _TOPICS[index % len(_TOPICS)]
    trajectory: list[dict[str, str]] = [
        {"role": "user", "content": _OPENINGS[index % len(_OPENINGS)].format(topic=topic)}
    ]
    for t in range(1, turns):
        if t % 2:
            text = _TUTOR[(index * 7 + t) % len(_TUTOR)].format(topic=topic)
            trajectory.append({"role": "assistant", "content": text})
        else:
            trajectory.append({"role": "user", "content": _LEARNER[(index + t) % len(_LEARNER)]})
    domain = ("programming", "math", "ai")[index % 3]
    return {"session_id": f"synthetic.{index:08d}", "domain": domain, "trajectory": trajectory}


def write_synthetic_jsonl(path: Path, count: int, turns: int = 16) -> Path:
    """Write ``count`` synthetic sessions as JSONL, streamed, and return the path."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(json.dumps(synthetic_session(i, turns), ensure_ascii=False) + "\n")
    return path
