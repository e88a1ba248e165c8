"""``python -m openwmi.cli``."""

from ._main import main

main()
