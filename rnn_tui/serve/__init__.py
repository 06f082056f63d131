"""rnn-tui serve's machinery: the asyncssh server and one app process per pty."""
