"""Simulated tutors and learners for the demo and the tests, registered as the ``sim`` provider."""

from .providers import MODELS, STUDY_REFUSAL, SimProvider

__all__ = ["MODELS", "STUDY_REFUSAL", "SimProvider"]
