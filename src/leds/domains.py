"""Loading the modules a registry names (routes, pages, commands, projectors), one domain each."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from types import ModuleType


def present(names: Iterable[str]) -> Iterator[ModuleType]:
    """Each named module that exists, in order.  A module whose domain (or the module itself)
    does not exist is skipped; an import that fails *inside* an existing module is raised."""
    for name in names:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
                raise
