"""Errors the command line reports as one clear line and a non-zero exit."""


class SotsError(Exception):
    """Base class: the CLI prints the message on one line and exits 1."""


class InputError(SotsError):
    """An input file is missing, malformed, or fails its schema.

    The message names the file, the column, the row and what was expected.
    """


class BuildError(SotsError):
    """A notebook or the book build failed; nothing was published."""
