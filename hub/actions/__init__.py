"""The only code that writes domain state and emits events (ARCHITECTURE rule 3)."""

from .uow import UnitOfWork, unit_of_work

__all__ = ["UnitOfWork", "unit_of_work"]
