"""The CSS classes a chapter's page marks for the printed page: what the print page (and the edition's PDF,
:mod:`sots.site.printbook`) opens or leaves out. The chapters write them (:mod:`sots.chapters.charts`); the
print page acts on them.
"""

from __future__ import annotations

WEB_ONLY = "sots-web-only"  # text for the screen only ("Hover over a bar"), left out of the print pages

PRINT_OPEN = "sots-print-open"  # a <details> the print page opens: a sheet cannot open it (charts' sources use it)
