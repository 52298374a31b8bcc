"""Service modules whose handlers replace what moto fakes. Importing one registers its handlers."""

import importlib

SERVICE_MODULES: list[str] = ["feature_store", "bedrock"]


def load_all() -> None:
    for name in SERVICE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
