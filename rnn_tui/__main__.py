"""``python -m rnn_tui`` is the same as the ``rnn-tui`` command."""

import sys

from rnn_tui.cli.main import main

sys.exit(main())
