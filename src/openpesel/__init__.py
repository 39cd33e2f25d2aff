"""OpenPESEL: an open population register in the manner of Poland's PESEL."""

__version__ = "0.1.0"
