"""Stage 2, driving forces: force phrases into concepts, matching them to forces, forces.yaml, analytics and the review.

Others may import: matching, taxonomy, analytics, report, concepts (core_wording); words and similar are internal.
"""

__all__ = ["analytics", "concepts", "matching", "report", "taxonomy"]
