"""The web pages, one router per resource as in ``api/routes/``: search (the home page),
themes, reports, precedent and packs, plus the site pages (support, content notice)."""
