"""Colour tables beside the data (data/colour_table.py): CVAT's labelmap.txt and classes.yaml, and
their mistakes as one line naming the file."""
import re

import pytest

from unetkit.data.colour_table import find_colour_table, read_colour_table
from unetkit.errors import DataError

CVAT = """# label:color_rgb:parts:actions
background:0,0,0::
building:128,0,0::
window:0,0,128::
"""


def test_cvat_labelmap_gives_names_and_colours_in_order(tmp_path):
    (tmp_path / "labelmap.txt").write_text(CVAT)
    table = find_colour_table(tmp_path)
    assert table.names == ["background", "building", "window"]
    assert table.colours == [[0, 0, 0], [128, 0, 0], [0, 0, 128]]
    assert table.path == str(tmp_path / "labelmap.txt")


@pytest.mark.parametrize("text", ["sky: [0, 128, 128]\nroad: [128, 64, 0]\n",
                                  "- name: sky\n  color: [0, 128, 128]\n- name: road\n  colour: 128,64,0\n",
                                  "classes:\n  sky: [0, 128, 128]\n  road: [128, 64, 0]\n"])
def test_classes_yaml_as_a_mapping_or_a_list(tmp_path, text):
    (tmp_path / "classes.yaml").write_text(text)
    table = read_colour_table(tmp_path / "classes.yaml")
    assert table.names == ["sky", "road"] and table.colours == [[0, 128, 128], [128, 64, 0]]


def test_no_table_is_none(tmp_path):
    assert find_colour_table(tmp_path) is None


@pytest.mark.parametrize("name, text, words", [
    ("labelmap.txt", "background:0,0,0::\nbuilding\n", "line 2: expected name:r,g,b"),
    ("labelmap.txt", "background:0,0,0::\nbuilding:300,0,0::\n", "line 2: colour '300,0,0' is not r,g,b"),
    ("labelmap.txt", "a:0,0,0::\nb:0,0,0::\n", "the colour (0, 0, 0) is listed twice"),
    ("classes.yaml", "a: [0, 0, 0]\n", "at least 2 classes"),
    ("classes.yaml", "a: [0, 0\n", "not valid YAML"),
    ("classes.yaml", "[1, 2, 3]\n", "expected a mapping"),
    ("classes.yaml", "a: [0, 0, 0]\nb: red\n", "class 'b': colour 'red'"),
])
def test_a_bad_table_is_one_line_naming_the_file(tmp_path, name, text, words):
    (tmp_path / name).write_text(text)
    with pytest.raises(DataError, match=re.escape(words)) as caught:
        find_colour_table(tmp_path)
    assert str(tmp_path / name) in str(caught.value) and "\n" not in str(caught.value)


def test_shipped_colour_tables_read_as_tables():
    """configs/colour_tables/ holds colour tables (not configs): each reads, with distinct names."""
    from pathlib import Path
    tables = sorted((Path(__file__).parents[2] / "configs" / "colour_tables").glob("*.yaml"))
    assert tables
    for path in tables:
        table = read_colour_table(path)
        assert len(table.names) >= 2 and len(set(table.names)) == len(table.names), path
