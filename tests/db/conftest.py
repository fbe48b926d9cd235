from tests.db.support import small_disk  # noqa: F401  (a fixture)
