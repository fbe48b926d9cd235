from __future__ import annotations

import pytest

from desktop.imaging.intake import load_image
from desktop.resources import sample_photos


@pytest.fixture(scope="session")
def sample_photo():
    """The astronaut sample photo (512 x 512), decoded once."""
    path = next(p for p in sample_photos() if p.name == "astronaut.png")
    return load_image(path).image
