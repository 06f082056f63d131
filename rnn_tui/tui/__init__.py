"""The Textual app: a controller, its panels and screens, themes and styles."""
