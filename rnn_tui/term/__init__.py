"""The terminal writer: only the cells that changed, colours as changes.

Imports nothing else of rnn_tui."""
