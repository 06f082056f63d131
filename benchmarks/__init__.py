"""rnn-tui's benchmark suite: ``python -m benchmarks`` prints one Markdown table.

See benchmarks/run.py. Not a test: nothing here fails on a slow machine.
"""
