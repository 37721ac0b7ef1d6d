"""`unetkit inspect`: the fingerprint of a dataset made here, as JSON and as text, and its plan."""
import json

import numpy as np
import pytest

from tests.conftest import write_png
from unetkit.cli import main


def _three_class_folder(root, images=4, colour=False):
    """train/ with images whose masks hold classes 0/1/2 in 50/30/20 percent and a void (255) strip."""
    rng = np.random.default_rng(0)
    for index in range(images):
        image = rng.integers(0, 255, (40, 50), dtype=np.uint8)
        write_png(root / "train/images" / f"im{index}.png", np.stack([image] * 3, -1) if not colour else
                  rng.integers(0, 255, (40, 50, 3), dtype=np.uint8))
        mask = np.zeros((40, 50), np.uint8)
        mask[:, 25:40] = 1     # 30% of the width
        mask[:, 40:] = 2       # 20%
        mask[:2, :] = 255      # void rows, left out of the fractions
        write_png(root / "train/masks" / f"im{index}.png", mask)
    return root


def _inspect_json(capsys, *args):
    assert main(["inspect", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_reports_classes_fractions_void_and_grey_input(tmp_path, capsys):
    root = _three_class_folder(tmp_path / "data")
    report = _inspect_json(capsys, root)
    fingerprint = report["fingerprint"]
    masks = fingerprint["masks"]
    assert (masks["kind"], masks["num_classes"], masks["ignore_value"]) == ("index", 3, 255)
    assert masks["class_fractions"] == pytest.approx([0.5, 0.3, 0.2], abs=1e-6)
    assert fingerprint["channels"] == 1           # grey stored as RGB is grey
    assert fingerprint["sizes"]["median"] == [50, 40]
    assert fingerprint["splits"]["train"] + fingerprint["splits"]["val"] == 4
    plan = report["plan"]
    assert plan["data.mask"]["value"] == "index" and plan["data.num_classes"]["value"] == 3
    assert plan["data.channels"]["value"] == 1 and plan["train.monitor"]["value"] == "miou"
    assert all(entry["why"] for entry in plan.values())


def test_unpaired_and_unreadable_files_are_named(tmp_path, capsys):
    root = _three_class_folder(tmp_path / "data")
    write_png(root / "train/images/lonely.png", np.zeros((40, 50), np.uint8))
    (root / "train/images/broken.png").write_bytes(b"not a png")
    write_png(root / "train/masks/broken.png", np.zeros((40, 50), np.uint8))
    # an unreadable image is a problem train would stop on: listed, and the exit status is train's (2)
    assert main(["inspect", str(root), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    fingerprint = report["fingerprint"]
    assert [name.split("/")[-1] for name in fingerprint["unpaired"]] == ["lonely.png"]
    assert any(name.endswith("broken.png") for name in fingerprint["unreadable"])
    assert len(report["problems"]) == 1 and "broken.png: unreadable image" in report["problems"][0]


def test_text_report_and_colour_images(tmp_path, capsys):
    root = _three_class_folder(tmp_path / "data", colour=True)
    assert main(["inspect", str(root)]) == 0
    text = capsys.readouterr().out
    assert "colour" in text and "class 2" in text and "20.0% of labelled pixels" in text
    assert "data.channels" in text and "# colour images" in text


def test_a_folder_of_no_known_layout_is_one_line(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    assert main(["inspect", str(tmp_path / "photos")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not a dataset layout unetkit knows" in err and "set data.format" in err


def test_inspect_reads_pairing_settings(tmp_path, capsys):
    root = tmp_path / "isic"
    for stem in ("ISIC_001", "ISIC_002"):
        write_png(root / "train/images" / f"{stem}.png", np.zeros((32, 32, 3), np.uint8) + 90)
        mask = np.zeros((32, 32), np.uint8)
        mask[8:24, 8:24] = 255
        write_png(root / "train/masks" / f"{stem}_segmentation.png", mask)
    fingerprint = _inspect_json(capsys, root, "data.mask_suffix=_segmentation")["fingerprint"]
    assert fingerprint["unpaired"] == [] and fingerprint["masks"]["kind"] == "binary"
    assert fingerprint["masks"]["class_fractions"] == pytest.approx([0.75, 0.25])


@pytest.mark.parametrize("table", [None, "classes.yaml", "labelmap.txt"])
def test_colour_masks_in_voc_colours_are_their_own_classes_named_by_a_table(tmp_path, capsys, table):
    """Three VOC colours are three classes (not VOC's 9 up to road's entry 8); a colour table names
    them and sets their order; inspect shows the table and each class's colour."""
    from tests.conftest import SCENE_COLOURS, write_scene_dataset
    root = write_scene_dataset(tmp_path / "scenes", table=table)
    report = _inspect_json(capsys, root)
    plan, masks = report["plan"], report["fingerprint"]["masks"]
    assert plan["data.num_classes"]["value"] == 3 and plan["data.mask"]["value"] == "index"
    if table is None:   # VOC's order: building (entry 1), sky (6), road (8); no names
        assert plan["data.colors"]["value"] == [[128, 0, 0], [0, 128, 128], [128, 64, 0]]
        assert "data.class_names" not in plan and masks["table"] == ""
    else:
        assert plan["data.class_names"]["value"] == list(SCENE_COLOURS)
        assert plan["data.colors"]["value"] == [list(c) for c in SCENE_COLOURS.values()]
        assert masks["table"] == str(root / table)
    assert main(["inspect", str(root)]) == 0
    text = capsys.readouterr().out
    assert (f"colours     {root / table}" if table else "no colour table") in text
    assert ("sky              (0,128,128)" if table else "class_1          (0,128,128)") in text


def test_the_users_colours_and_names_win_over_the_table(tmp_path, capsys):
    from tests.conftest import write_scene_dataset
    root = write_scene_dataset(tmp_path / "scenes", table="classes.yaml")
    report = _inspect_json(capsys, root, "data.colors=[[128,64,0],[128,0,0],[0,128,128]]",
                           "data.class_names=road,wall,air")
    assert report["plan"]["data.class_names"]["value"] == ["road", "wall", "air"]
    assert report["fingerprint"]["masks"]["class_fractions"][0] > 0.1   # road, measured in the user's order
    voc = _inspect_json(capsys, root, "data.colors=voc")
    assert voc["plan"]["data.num_classes"]["value"] == 21   # VOC's palette named: its 21 classes
