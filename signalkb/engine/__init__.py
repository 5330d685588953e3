"""The build engine: runs the stages in order (cold, warm, incremental, the preview's fast path), workers and cache.

Others may import: pipeline (build, check, load, BuildReport), fastpath (Session), cache.
"""

__all__ = ["cache", "fastpath", "pipeline"]
