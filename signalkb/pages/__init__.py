"""Stage 4, pages: which pages exist and their view data, charts, exports and feeds, and rendering them.

Others may import: plan (Planner, PageSpec), render, views (RawFile, ENCODER), exports, feeds.
"""

__all__ = ["exports", "feeds", "plan", "render", "views"]
