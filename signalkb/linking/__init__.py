"""Stage 3, linking: parsed notes into one KnowledgeBase with ids that outlive edits, forces per signal and terms.

Others may import: knowledge_base (build_knowledge_base), permalinks (row_rest, text_key).
"""

__all__ = ["knowledge_base", "permalinks"]
