"""The `okno` command line (an edge: parse, call hub.actions, print)."""

from .commands import main

__all__ = ["main"]
