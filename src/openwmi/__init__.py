"""openwmi."""
