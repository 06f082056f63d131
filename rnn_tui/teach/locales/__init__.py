"""Message catalogues, one module per language, each a flat MESSAGES dict."""
