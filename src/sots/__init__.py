"""sots: a reproducible state-of-the-system report for NHS integrated care boards."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sots")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0+unknown"
