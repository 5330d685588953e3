"""The build engine: runs the stages in order (cold, warm, incremental, the preview's fast path), workers and cache.

Others may import: pipeline (check, build, BuildOptions, preview_build, load, BuildReport), fastpath (Session),
cache.
"""

__all__ = ["cache", "fastpath", "pipeline"]
