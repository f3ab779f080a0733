"""strmline: a self-hosted IPTV stream manager."""

__version__ = "0.1.0"
