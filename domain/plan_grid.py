"""A plan's contact sheet: its combinations laid out along two chosen axes (an X/Y plot).

Each square of the sheet is one (x value, y value) pair. When the plan has other axes, the square
shows the best-rated combination with that pair (its other values are in its label).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.plan import AxisValue


@dataclass(frozen=True, slots=True)
class GridSquare:
    """One square: the combination shown, an image of its first done run (None: none yet), its
    mean rating over ``ratings`` ratings, and ``note`` (pending, failed, excluded) when it has no run."""

    label: str
    image: str | None
    mean: float | None
    ratings: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class GridSheet:
    """The squares by (column, row) index; ``title`` names the plan."""

    title: str
    x_key: str
    x_values: tuple[AxisValue, ...]
    y_key: str | None
    y_values: tuple[AxisValue, ...]
    squares: Mapping[tuple[int, int], GridSquare] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "squares", MappingProxyType(dict(self.squares)))
