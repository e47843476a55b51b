"""Errors shared by the parts of the connector (kept free of aiogram, which is slow to import)."""


class NotAnUpdate(ValueError):
    """The body is not a Telegram Update at all (garbage, wrong shape, no update_id).

    Telegram never sends such a thing, so it is refused (400) rather than kept.
    """


class UnreadableUpdate(ValueError):
    """An Update (it has its update_id) that this connector cannot read: a type newer than
    the library, a field of the wrong shape, a number out of range. Kept raw and
    acknowledged, since Telegram would otherwise send it again and again."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
