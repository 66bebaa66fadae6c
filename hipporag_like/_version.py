"""The package version, in a module of its own so library modules can read it without
importing the package front door (which imports them)."""

__version__ = "0.1.0"
