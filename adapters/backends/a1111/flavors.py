"""What differs between the servers that speak the A1111 API: A1111, Forge and SD.Next."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Flavor:
    """Known differences that change what the adapter sends or expects.

    ``has_schedulers``: the request takes a ``scheduler`` field and ``/schedulers`` exists
    (A1111 v1.9+, Forge; not SD.Next). ``sends_hr_cfg``: Forge defaults ``hr_cfg`` to 1.0, so
    it is always sent equal to ``cfg_scale``.
    """

    name: str
    has_schedulers: bool
    sends_hr_cfg: bool


FLAVORS = {
    "a1111": Flavor("a1111", has_schedulers=True, sends_hr_cfg=False),
    "forge": Flavor("forge", has_schedulers=True, sends_hr_cfg=True),
    "sdnext": Flavor("sdnext", has_schedulers=False, sends_hr_cfg=False),
}


def flavor_named(name: str) -> Flavor:
    try:
        return FLAVORS[name.strip().lower()]
    except KeyError:
        raise ConfigError("backend.flavor", f"must be one of {', '.join(FLAVORS)}, got {name!r}") from None
