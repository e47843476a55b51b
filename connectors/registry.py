"""Discovers connector classes by entry point and validates channel options against them."""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from .base import BaseConnector, ConnectorOptions

ENTRY_POINT_GROUP = "okno.connectors"
# Shown in place of a secret option's value; sent back unchanged, it means "keep the secret".
SECRET_MASK = "********"  # noqa: S105 (a placeholder, not a password)

log = logging.getLogger(__name__)


class ChannelConfigError(ValueError):
    """Options that do not fit a connector's schema, one message per field."""

    def __init__(self, kind: str, errors: dict[str, str]) -> None:
        super().__init__(f"invalid options for {kind}: {errors}")
        self.kind = kind
        self.errors = errors


def available_kinds() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


@cache
def _load(kind: str) -> type[BaseConnector] | None:
    # One kind at a time: a web form must not wait for the Telegram library to import.
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=kind):
        try:
            cls: type[BaseConnector] = ep.load()
            return cls
        except Exception:
            # A broken plug-in must not take the other channels down with it.
            log.exception("connector %r (%s) failed to load; its channels stay off", kind, ep.value)
    return None


def connector_class(kind: str) -> type[BaseConnector]:
    cls = _load(kind)
    if cls is None:
        raise ChannelConfigError(kind, {"kind": f"unknown channel kind {kind!r}"})
    return cls


def connector_classes() -> dict[str, type[BaseConnector]]:
    return {kind: cls for kind in available_kinds() if (cls := _load(kind)) is not None}


def validate_options(kind: str, options: dict[str, Any]) -> ConnectorOptions:
    model = connector_class(kind).options_model
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        errors = {
            ".".join(str(p) for p in err["loc"]) or "options": _message(err["msg"])
            for err in exc.errors()
        }
        raise ChannelConfigError(kind, errors) from None


def _message(text: str) -> str:
    # pydantic prefixes custom validators' messages with "Value error, ".
    return text.removeprefix("Value error, ")


def public_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """Options safe to show: secrets are replaced by a marker saying one is set."""
    secret = connector_class(kind).secret_fields
    return {k: (SECRET_MASK if k in secret and v else v) for k, v in options.items()}
