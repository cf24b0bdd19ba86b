"""Demo data for `make run`: each app adds its own in a `demo.py` module.

    from benchbarrier.demo import demo_loader

    @demo_loader("marketing: sample customers")
    def load(out: Callable[[str], None]) -> None: ...

Loaders must be idempotent: `make run` calls them on every start.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import autodiscover_modules

Loader = Callable[[Callable[[str], None]], None]
_loaders: dict[str, Loader] = {}


def demo_loader(name: str) -> Callable[[Loader], Loader]:
    def register(func: Loader) -> Loader:
        _loaders[name] = func
        return func

    return register


def load_all(out: Callable[[str], None]) -> list[str]:
    """Run every registered loader in app order; returns their names."""
    autodiscover_modules("demo")
    for name, loader in _loaders.items():
        out(f"- {name}")
        loader(out)
    return list(_loaders)
