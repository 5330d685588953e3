"""Stage 2, driving forces: force phrases into concepts, matching them to forces, forces.yaml, analytics and the review.

Others may import: matching, taxonomy, analytics, report, concepts, similar; words is the package's own.
"""

__all__ = ["analytics", "concepts", "matching", "report", "similar", "taxonomy"]
