"""The ``diagnostics.*`` job types (tests, benchmarks, checking an install): ``request`` checks
and queues them, ``handler`` runs them."""
