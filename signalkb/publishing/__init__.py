"""Stage 5, publishing: staging pages and swapping them into the output folder atomically, and the search index.

Others may import: staging, search.
"""

__all__ = ["search", "staging"]
