"""``python -m openwmi``."""

from .cli import main

main()
