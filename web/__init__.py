"""The staff web app (DESIGN §7): Django templates and htmx onto the same services and
selectors as the API, beside it in the layers. No models of its own (no schema)."""
