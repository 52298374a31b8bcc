"""The embedded local AWS backend: moto for bookkeeping, plus a local layer that does the real work.

``Emulator`` and the URL checks load the server (and moto) on first use, so code that only needs a service
module's helpers, such as a Model Monitor or Clarify job's analyzer, starts without importing moto.
"""

__all__ = ["Emulator", "check_emulator_url", "is_loopback"]


def __getattr__(name: str):
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
