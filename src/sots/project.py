"""Where the project is, found without heavy imports: its folder, and the default folder of the upstream raw data.

The command line reads these before it knows which command runs, so ``sots --help`` and a build with nothing to do
load no pandas (:mod:`sots.site.buildkey`).
"""

from __future__ import annotations

from pathlib import Path

from sots.errors import InputError
from sots.toc import TOC_FILE

DEFAULT_RAW = Path("../shared/data/raw")  # the upstream raw data, beside the project (`sots prepare --raw`)


def project_root() -> Path:
    """The project folder: the nearest parent of this file (or of the working folder) holding ``_toc.yml``."""
    for start in (Path.cwd(), Path(__file__).resolve()):
        for folder in (start, *start.parents):
            if (folder / TOC_FILE).is_file() and (folder / "notebooks").is_dir():
                return folder
    raise InputError("cannot find the project folder (one holding _toc.yml and notebooks/); run from inside it")
