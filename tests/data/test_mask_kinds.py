"""The mask reading chosen from raw values (data/mask_kinds.py): binary, class ids, palette, colours, void."""
from collections import Counter

import pytest

from unetkit.data.colour_table import ColourTable
from unetkit.data.mask_kinds import describe_masks
from unetkit.viz.palette import voc_palette


@pytest.mark.parametrize("values", [{0: 90, 1: 10}, {0: 90, 255: 10}, {0: 90, 7: 10}])
def test_zero_and_one_other_value_is_binary(values):
    found = describe_masks({"grey"}, Counter(values))
    assert (found.kind, found.mode, found.num_classes) == ("binary", "binary", 2)
    assert found.class_fractions == pytest.approx([0.9, 0.1])


def test_anti_aliased_masks_are_binary_and_image_like_masks_are_flagged():
    aliased = Counter({0: 600, 255: 350, **{v: 1 for v in range(1, 60)}})
    assert describe_masks({"grey"}, aliased).mode == "binary"
    image_like = Counter({v: 10 for v in range(0, 256)})
    found = describe_masks({"grey"}, image_like)
    assert found.suggestions and "look like images" in found.suggestions[0]


def test_small_ids_are_classes_and_255_among_them_is_void():
    found = describe_masks({"grey"}, Counter({0: 50, 1: 20, 2: 20, 3: 5, 255: 5}))
    assert (found.kind, found.mode, found.num_classes, found.ignore_value) == ("index", "index", 4, 255)
    assert sum(found.class_fractions) == pytest.approx(1.0)
    assert found.class_fractions[3] == pytest.approx(5 / 95, abs=1e-4)   # void pixels are not counted


def test_palette_masks_give_their_indices():
    found = describe_masks({"palette"}, Counter({0: 80, 1: 20}))
    assert (found.kind, found.mode, found.num_classes) == ("palette", "index", 2)


def test_a_value_outside_the_users_classes_suggests_the_ignore_label():
    camvid = Counter({**{v: 100 for v in range(11)}, 11: 40})
    found = describe_masks({"grey"}, camvid, user_num_classes=11)
    assert any("data.ignore_index=11" in text for text in found.suggestions)
    settled = describe_masks({"grey"}, camvid, user_num_classes=11, user_ignore_index=11)
    assert settled.ignore_value == 11 and not settled.suggestions


def test_an_isolated_high_value_is_void_and_scaled_ids_are_flagged():
    assert describe_masks({"grey"}, Counter({0: 5, 1: 5, 2: 5, 99: 5})).ignore_value == 99
    scaled = describe_masks({"grey"}, Counter({0: 5, 10: 5, 20: 5}))
    assert any("not consecutive" in text for text in scaled.suggestions)


def _code(rgb):
    return rgb[0] << 16 | rgb[1] << 8 | rgb[2]


def test_rgb_masks_in_voc_colours_are_compacted_and_others_get_a_colour_table():
    """VOC colours become one class per colour found, in the palette's order (not VOC's 21 classes)."""
    palette = voc_palette().tolist()
    voc = describe_masks({"colour"}, Counter({_code(palette[0]): 70, _code(palette[15]): 30}))
    assert (voc.kind, voc.num_classes, voc.colors) == ("rgb", 2, [palette[0], palette[15]])
    own = describe_masks({"colour"}, Counter({0: 50, _code([10, 200, 30]): 10, _code([250, 0, 0]): 40}))
    assert own.colors == [[0, 0, 0], [250, 0, 0], [10, 200, 30]] and own.num_classes == 3


def test_a_voc_colour_subset_like_labelmefacade_is_nine_classes_in_palette_order():
    """LabelMeFacade's 9 colours are VOC's entries 0, 1, 2, 3, 4, 5, 6, 7 and 14: 9 classes, not 18, and
    VOC's cream border colour stays void."""
    palette = voc_palette().tolist()
    entries = [1, 5, 0, 14, 2, 3, 6, 4, 7]   # the order pixels are met in does not matter
    counts = Counter({_code(palette[entry]): 100 + i for i, entry in enumerate(entries)})
    counts[_code([224, 224, 192])] = 50
    found = describe_masks({"colour"}, counts)
    assert found.num_classes == 9 and found.colors == [palette[e] for e in sorted(entries)]
    assert found.class_names == [] and len(found.class_fractions) == 9 and sum(found.class_fractions) == pytest.approx(1)
    assert "9 of VOC's palette colours" in found.reason


def test_a_colour_table_gives_names_order_and_unknown_colours_are_named():
    palette = voc_palette().tolist()
    table = ColourTable(["sky", "background", "road"], [palette[6], palette[0], palette[8]], "/data/classes.yaml")
    counts = Counter({_code(palette[0]): 60, _code(palette[6]): 30, _code(palette[8]): 10})
    found = describe_masks({"colour"}, counts, table=table)
    assert (found.num_classes, found.class_names, found.table) == (3, ["sky", "background", "road"], table.path)
    assert found.colors == table.colours and found.class_fractions == pytest.approx([0.3, 0.6, 0.1])
    counts[_code([1, 2, 3])] = 5
    assert "(1,2,3) are in the masks but not in /data/classes.yaml" in describe_masks(
        {"colour"}, counts, table=table).suggestions[0]
    grey = describe_masks({"grey"}, Counter({0: 5, 1: 5, 2: 5}), table=table)   # index masks: names alone
    assert grey.class_names == ["sky", "background", "road"]
