"""The style library: ``reading`` (search, show, delete; the one reader of every stored field and
its default) and ``writing`` (a new, imported or changed style committed whole; files no row
points at cleaned)."""
