"""Import services only when a command runs, so `ordercli --help` stays fast.

The services pull in SQLAlchemy and SQLModel, which take most of a second to
import; help texts and usage errors need none of that.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def lazy_module(name: str) -> LazyModule:
    return LazyModule(name)
