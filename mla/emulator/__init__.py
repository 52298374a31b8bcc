"""The embedded local AWS backend: moto for bookkeeping, plus a local layer that does the real work."""

from .server import Emulator, check_emulator_url, is_loopback

__all__ = ["Emulator", "check_emulator_url", "is_loopback"]
