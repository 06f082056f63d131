"""The stepper's panels: one widget per concept, each repainting only what changed."""
