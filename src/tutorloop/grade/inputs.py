"""The item dicts that session and turn graders read, as the records they stand for.

A session grader's item is a session as ``{{ item.x }}`` sees it: ``session_id``, ``domain``,
``trajectory`` (``{"role", "content"}`` turns), optionally ``learner_profile`` and
``agent_instructions``; a bare trajectory gets the session id ``item`` and the domain
``unknown``. A turn grader's item is a :class:`~tutorloop.records.TurnItem` (``history``,
``response``, ...; the id defaults to ``item``). An item without what its grader reads is an
error that names the missing field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutorloop.load import Item, items_of
from tutorloop.records import Session, TurnItem

_SESSION_FIELDS = ("session_id", "domain", "trajectory", "learner_profile", "metadata")


def session_of(item: Mapping[str, Any]) -> Item:
    """The session an item dict describes, as the gradable :class:`~tutorloop.load.Item`.

    Raises:
        ValueError: the item has no ``trajectory`` (it is not a session).
        pydantic.ValidationError: the session is malformed (naming the field).
    """
    if "trajectory" not in item:
        raise ValueError("this grader grades sessions: the item has no 'trajectory'")
    data = {key: item[key] for key in _SESSION_FIELDS if item.get(key) is not None}
    data.setdefault("session_id", "item")
    data.setdefault("domain", "unknown")
    session = Session.model_validate(data)
    return items_of(session, origin=str(data["session_id"]))[0]


def agent_instructions_of(item: Mapping[str, Any]) -> str | None:
    """The instructions the tutor was given, when the item carries them."""
    value = item.get("agent_instructions")
    return value if isinstance(value, str) else None


def turn_of(item: Mapping[str, Any]) -> TurnItem:
    """The tutor turn an item dict describes.

    Raises:
        ValueError: the item has no ``response`` (it is not a tutor turn).
        pydantic.ValidationError: the turn is malformed (naming the field).
    """
    if "response" not in item:
        raise ValueError("this grader grades tutor turns: the item has no 'response'")
    data = {key: item[key] for key in TurnItem.model_fields if item.get(key) is not None}
    data.setdefault("item_id", "item")
    return TurnItem.model_validate(data)
