import pytest

from tutorloop.grade import StudyModeHeuristics
from tutorloop.records import Turn


@pytest.fixture(scope="session")
def heuristics() -> StudyModeHeuristics:
    return StudyModeHeuristics()


def convo(*texts: str) -> list[Turn]:
    """Alternate user/assistant turns, starting with the user."""
    roles = ("user", "assistant")
    return [Turn(role=roles[i % 2], content=t) for i, t in enumerate(texts)]


def verdicts(heuristics: StudyModeHeuristics, trajectory: list[Turn]) -> dict[str, str]:
    return {c.name: c.verdict for c in heuristics.grade(trajectory).checks}
