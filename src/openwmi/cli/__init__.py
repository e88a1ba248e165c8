"""The ``openwmi`` command line. Imports client and server only."""

from ._main import cli as cli
from ._main import main as main

__all__ = ["cli", "main"]
