"""Screens pushed over the stepper: help, training, backward pass, editors, files."""
