"""signalkb: turn a folder of foresight signal notes into a cross-linked static site."""

__version__ = "0.1.0"
