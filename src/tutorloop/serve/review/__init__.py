"""The review app: who may review (roles, session cookies) and the labels API."""

from .access import (
    ADMIN,
    COOKIE_NAME,
    Credentials,
    Principal,
    Role,
    parse_reviewers,
    reviewer_may,
)

__all__ = [
    "ADMIN",
    "COOKIE_NAME",
    "Credentials",
    "Principal",
    "Role",
    "parse_reviewers",
    "reviewer_may",
]
