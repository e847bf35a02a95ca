"""leds: the Law Enforcement Data Service."""

__version__ = "0.1.0"
