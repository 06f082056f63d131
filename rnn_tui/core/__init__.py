"""The model in plain NumPy: weights, the forward pass, the stepper, data, training.

Imports nothing else of rnn_tui, and never textual, rich or asyncssh."""
