"""The preview: watching the inputs, debounced rebuilds, and the HTTP server with live reload and error overlay.

Others may import: serve (run_preview, PreviewOptions, ServeError).
"""

__all__ = ["serve"]
