"""A style's grain and vignette set on their own, in percent (``with_levels``), and read back
for the detail pane's controls (``levels_of``)."""

from __future__ import annotations

from desktop.imaging.effects import Look, choose_looks, levels_of, with_levels


def test_zero_removes_an_effect_and_none_keeps_the_styles_own():
    looks = choose_looks("film grain with a vignette")
    assert with_levels(looks) == looks
    assert [lk.name for lk in with_levels(looks, grain=0)] == ["vignette"]
    assert [lk.name for lk in with_levels(looks, vignette=0, grain=0)] == []


def test_percent_sets_the_amount_and_adds_an_effect_the_style_lacks():
    looks = with_levels([], grain=25, vignette=30)
    by_name = {lk.name: lk for lk in looks}
    assert by_name["grain"].amount == 0.5 and by_name["vignette"].amount == 0.5
    assert levels_of(looks) == {"grain": 25, "grain_size": "fine", "vignette": 30}
    assert levels_of(choose_looks("film grain with a vignette")) == {"grain": 50, "grain_size": "fine", "vignette": 60}
    assert levels_of([]) == {"grain": 0, "grain_size": "fine", "vignette": 0}


def test_a_grain_size_applies_to_the_grain_and_is_kept_when_its_amount_changes():
    coarse = with_levels([Look("grain")], grain_size="coarse")
    assert coarse == [Look("grain", size=3.0)]
    assert with_levels(coarse, grain=80) == [Look("grain", 1.6, size=3.0)]
    assert with_levels([], grain_size="coarse") == []  # no grain to size
    assert levels_of(with_levels(coarse, grain=80))["grain_size"] == "coarse"
