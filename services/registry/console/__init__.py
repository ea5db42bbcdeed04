"""The registry's work consoles: the enterprise's and the regulator's (issue 21)."""
