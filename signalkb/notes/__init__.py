"""Stage 1, reading notes: finding note files, reading each format into a ParsedNote, tables and cell markup.

Others may import: sources, readers (read_note, finish), markup, importer; cellsplit and table are the readers' own.
"""

__all__ = ["importer", "markup", "readers", "sources"]
