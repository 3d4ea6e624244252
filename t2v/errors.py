"""The one error type t2v raises for bad input or missing files: the CLI prints it as one line."""


class T2VError(Exception):
    """A user-facing problem: the message names the bad value and what is allowed."""
