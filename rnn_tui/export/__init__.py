"""Step traces written as Markdown, LaTeX, CSV and JSON, and read back. No Textual."""
