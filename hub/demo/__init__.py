"""The demo company `okno demo` seeds into an empty database (an edge over hub.actions)."""

from .seed import SeedOutcome, banner, seed

__all__ = ["SeedOutcome", "banner", "seed"]
