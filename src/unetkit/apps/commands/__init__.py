"""The command line's commands, one light module each, listed in cli.py's table.

Each module declares its `HELP` (one line, shown by `unetkit --help`), `add_arguments(parser)` and
`run(args) -> int` (the exit code), and optionally `MEMORY_ADVICE` (what to lower when the command runs
out of memory). They import only the standard library at the top, so that parsing arguments imports no
app (torch's export, ONNX Runtime, the web server); `run` imports its app (apps/<command>.py) when called.
"""
