"""Request and response models of user management (admins create and change accounts)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from hub.models import Role
from hub.queries import Shape, Timestamp

from .inputs import Body, OneLine

# Logins are typed at the login form and appear in the PBX extension map: one word.
LOGIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$"
PASSWORD_HELP = "At least 10 characters."  # noqa: S105 (help text, not a password)


def _name(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class UserIn(Body):
    login: str = Field(pattern=LOGIN_PATTERN, description="Letters, digits, . _ @ -; unique.")
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    role: Role = Role.operator
    password: str = Field(min_length=10, max_length=200, description=PASSWORD_HELP)
    locale: Literal["ru", "en"] = "ru"
    email: str | None = Field(default=None, max_length=320)
    max_conversations: int = Field(default=5, ge=1, le=100)

    _strip_name = field_validator("name")(_name)


class UserPatch(Body):
    """Only what is sent changes; "password" resets it and ends the user's sessions."""

    name: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    password: str | None = Field(
        default=None, min_length=10, max_length=200, description=PASSWORD_HELP
    )
    is_active: bool | None = None
    locale: Literal["ru", "en"] | None = None
    email: str | None = Field(default=None, max_length=320, description='"" clears it.')
    # The person's chat with the company's bot, where robots' notices go ("" clears it).
    telegram_chat_id: str | None = Field(
        default=None, pattern=r"^(-?[0-9]{1,20})?$", description='"" clears it.'
    )

    _strip_name = field_validator("name")(_name)


class UserOut(Shape):
    id: int
    login: str
    name: str
    role: Role
    locale: str
    email: str | None
    telegram_chat_id: str | None
    is_active: bool
    extension: str | None
    max_conversations: int
    skills: list[str]
    created_at: Timestamp


# What a PBX dials: digits and the * and # of feature codes. "" clears the extension.
EXTENSION_PATTERN = r"^([0-9*#]{1,20})?$"


class OperatorSettingsIn(Body):
    max_conversations: int | None = Field(default=None, ge=1, le=100)
    skills: list[str] | None = Field(default=None, max_length=50)
    is_active: bool | None = None
    extension: str | None = Field(
        default=None,
        pattern=EXTENSION_PATTERN,
        description='Phone extension on the PBX, unique among active users; "" clears it.',
    )


class OperatorSettingsOut(Shape):
    id: int
    max_conversations: int
    skills: list[str]
    is_active: bool
    extension: str | None
