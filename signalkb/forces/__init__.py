"""Stage 2, driving forces: force phrases into concepts, matching them to forces, forces.yaml, analytics and the review.

Others may import: matching, taxonomy, analytics, report, concepts, similar, broad, meaning; words is its own.
"""

__all__ = ["analytics", "broad", "concepts", "matching", "meaning", "report", "similar", "taxonomy"]
