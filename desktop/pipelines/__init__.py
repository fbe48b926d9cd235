"""Job handlers: the slow work behind the front doors. Importing this package registers them."""

from desktop.pipelines import style_generate  # noqa: F401
