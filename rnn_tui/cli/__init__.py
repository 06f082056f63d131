"""The commands: rnn-tui, and its subcommands train, export and serve."""
