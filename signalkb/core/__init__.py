"""The foundation every stage shares: diagnostics, the data model, settings, names, URLs and safe file writes.

Others may import: config, diagnostics, files, ledger, model, slugs, urls, yamlsafe.
"""

__all__ = ["config", "diagnostics", "files", "ledger", "model", "slugs", "urls", "yamlsafe"]
