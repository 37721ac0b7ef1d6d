import csv
import math
import warnings

import numpy as np
import pytest

from unetkit.metrics import PerImageScores, cldice_score, surface_scores
from unetkit.metrics.surface import boundary


def _point(y, x, shape=(16, 16)):
    mask = np.zeros(shape, bool)
    mask[y, x] = True
    return mask


def test_identical_masks_score_perfectly():
    mask = np.zeros((16, 16), bool)
    mask[4:10, 3:12] = True
    assert surface_scores(mask, mask) == {"hd95": 0.0, "assd": 0.0, "surface_dice": 1.0}


def test_distances_by_hand():
    # two single pixels 3 apart: every boundary distance is 3
    scores = surface_scores(_point(5, 5), _point(5, 8))
    assert scores["hd95"] == pytest.approx(3.0) and scores["assd"] == pytest.approx(3.0)
    assert scores["surface_dice"] == 0.0
    assert surface_scores(_point(5, 5), _point(5, 8), tolerance=3)["surface_dice"] == 1.0
    # a 3x3 square vs the same square plus a far pixel: 8 + 1 boundary pixels on one side, 8 on the other;
    # the far pixel (at distance 10 from the square's nearest boundary pixel) is 1 of 17 distances
    square = np.zeros((20, 20), bool)
    square[2:5, 2:5] = True
    with_far = square.copy()
    with_far[3, 14] = True
    scores = surface_scores(with_far, square)
    assert scores["assd"] == pytest.approx(10 / 17)
    assert scores["surface_dice"] == pytest.approx(16 / 17)


def test_empty_masks():
    empty = np.zeros((6, 8), bool)
    assert all(math.isnan(v) for v in surface_scores(empty, empty).values())
    missed = surface_scores(empty, _point(2, 2, (6, 8)))
    assert missed["hd95"] == pytest.approx(10.0) and missed["surface_dice"] == 0.0   # the 6x8 diagonal


def test_cldice_on_a_broken_line():
    truth = np.zeros((9, 9), bool)
    truth[4, 2:7] = True
    predicted = truth.copy()
    truth[4, 4] = False
    # skeletons are the lines themselves: Tprec = 4/5, Tsens = 4/4
    assert cldice_score(predicted, truth) == pytest.approx(2 * 0.8 / 1.8)
    assert cldice_score(truth, truth) == 1.0


def test_per_image_table_worst_first_with_surface_summary(tmp_path):
    scores = PerImageScores(["background", "vessel"], surface=True)
    truth = np.zeros((16, 16), np.uint8)
    truth[4:12, 4:12] = 1
    truth[0, 0] = 255
    scores.update("good", truth.copy(), truth)
    poor = np.zeros_like(truth)
    poor[4:12, 4:8] = 1
    scores.update("poor", poor, truth)
    rows = scores.rows()
    assert [row["image"] for row in rows] == ["poor", "good"]
    assert rows[1]["f1"] == 1.0 and rows[0]["f1"] == pytest.approx(2 * 32 / (32 + 64))
    summary = scores.summary()
    assert summary["hd95"] == pytest.approx(np.mean([rows[0]["hd95_vessel"], 0.0]))
    assert set(summary) >= {"hd95", "assd", "surface_dice", "cldice", "hd95_per_class"}
    path = scores.write_csv(tmp_path / "per_image.csv")
    with path.open() as file:
        table = list(csv.DictReader(file))
    assert table[0]["image"] == "poor" and "iou_vessel" in table[0]


def test_per_image_multiclass_sorts_by_miou():
    scores = PerImageScores(["bg", "a", "b"])
    truth = np.array([[0, 1, 2, 2]], np.uint8)
    scores.update("right", truth, truth)
    scores.update("wrong", np.array([[0, 2, 1, 1]], np.uint8), truth)
    assert [row["image"] for row in scores.rows()] == ["wrong", "right"]
    assert scores.rows()[1]["miou"] == 1.0 and scores.summary() == {}


def test_edges_of_the_surface_and_cldice_scores():
    """Found by `make mutants` (issue 31): the boundary of a mask on the image's edge, hd95's percentile,
    every key of a one-sided miss, clDice's empty, one-pixel and disjoint cases."""
    full = np.ones((4, 5), bool)
    frame = full.copy()
    frame[1:3, 1:4] = False
    assert np.array_equal(boundary(full), frame)
    square = np.zeros((20, 20), bool)
    square[2:5, 2:5] = True
    with_far = square.copy()
    with_far[3, 14] = True                   # 9 boundary distances from the prediction: 0 x 8 and 10
    assert surface_scores(with_far, square)["hd95"] == pytest.approx(6.0)   # numpy's 95th percentile of them
    empty = np.zeros((6, 8), bool)
    assert surface_scores(_point(2, 2, (6, 8)), empty) == {"hd95": 10.0, "assd": 10.0, "surface_dice": 0.0}
    assert math.isnan(cldice_score(empty, empty))
    assert cldice_score(empty, _point(2, 2, (6, 8))) == 0.0 and cldice_score(_point(2, 2, (6, 8)), empty) == 0.0
    assert cldice_score(_point(3, 3), _point(3, 3)) == 1.0          # one-pixel skeletons
    assert cldice_score(_point(3, 3), _point(9, 9)) == 0.0          # disjoint: 0, not 0/0


def test_per_image_scores_edge_cases(tmp_path):
    binary = PerImageScores(["background", "vessel"], surface=True, tolerance=3, ignore_index=9)
    truth = np.zeros((16, 16), np.uint8)
    truth[5, 5] = 1
    truth[0, :] = 9                                   # void: the prediction there does not count
    predicted = np.zeros_like(truth)
    predicted[5, 8] = 1
    predicted[0, :] = 1
    binary.update("three apart", predicted, truth)
    row = binary.rows()[0]
    assert row["surface_dice_vessel"] == 1.0 and row["iou_vessel"] == 0.0   # within tolerance 3
    assert "hd95_background" not in row and row["iou_background"] == pytest.approx(238 / 240)
    binary.update("nothing", np.zeros_like(truth), np.zeros_like(truth))
    assert math.isnan(binary.rows()[1]["f1"]) and math.isnan(binary.rows()[1]["iou_vessel"])   # undefined last
    assert binary.summary()["cldice"] == 0.0 and binary.summary()["surface_dice"] == 1.0
    plain = PerImageScores(["bg", "a", "b"])
    labels = np.array([[0, 1, 2, 2]], np.uint8)
    plain.update("x", labels, labels)
    assert "f1" not in plain.rows()[0] and not any(key.startswith("hd95") for key in plain.rows()[0])
    multi = PerImageScores(["bg", "a", "b"], surface=True)
    labels = np.zeros((12, 12), np.uint8)
    labels[2, 2], labels[8, 8] = 1, 2
    predicted = labels.copy()
    predicted[8, 8], predicted[8, 10] = 0, 2             # class b two pixels off, class a right
    multi.update("x", predicted, labels)
    summary = multi.summary()
    assert summary["hd95_per_class"] == {"a": 0.0, "b": 2.0} and summary["hd95"] == pytest.approx(1.0)
    single = PerImageScores(["background", "vessel"])
    single.update("only", np.array([[0, 1, 1]]), np.array([[0, 1, 0]]))
    path = single.write_csv(tmp_path / "new" / "folder" / "per_image.csv")
    assert path.read_text().splitlines()[1].startswith("only,0.666667,")
    assert PerImageScores(["bg", "fg"]).write_csv(tmp_path / "empty.csv").read_bytes() == b"image\r\n"


def test_both_directions_of_hd95_cldice_sensitivity_and_an_all_undefined_summary():
    square = np.zeros((20, 20), bool)
    square[2:5, 2:5] = True
    with_far = square.copy()
    with_far[3, 14] = True
    assert surface_scores(square, with_far)["hd95"] == pytest.approx(6.0)     # the far pixel on the truth's side
    truth = np.zeros((9, 9), bool)
    truth[4, 2:7] = True
    broken = truth.copy()
    broken[4, 4] = False
    assert cldice_score(broken, truth) == pytest.approx(2 * 0.8 / 1.8)       # Tprec 4/5, Tsens 1
    assert cldice_score(truth, broken) == pytest.approx(2 * 0.8 / 1.8)       # Tprec 1, Tsens 4/5
    scores = PerImageScores(["background", "vessel"], surface=True)
    scores.update("empty", np.zeros((6, 6), np.uint8), np.zeros((6, 6), np.uint8))
    summary = scores.summary()
    assert math.isnan(summary["hd95"]) and math.isnan(summary["cldice"])


def test_per_image_default_tolerance_is_two_pixels_and_undefined_scores_warn_nothing():
    """Found by `make mutants` (issue 31): the documented default tolerance (2 px) is the one used; an
    image with nothing to score gives NaN quietly (no 0/0 warning per image in a folder of thousands)."""
    truth = np.zeros((16, 16), np.uint8)
    truth[5, 5] = 1
    predicted = np.zeros_like(truth)
    predicted[5, 8] = 1                                # three pixels off: outside 2, inside 3
    default, wider = PerImageScores(["bg", "fg"], surface=True), PerImageScores(["bg", "fg"], surface=True, tolerance=3)
    default.update("x", predicted, truth)
    wider.update("x", predicted, truth)
    assert default.rows()[0]["surface_dice_fg"] == 0.0 and wider.rows()[0]["surface_dice_fg"] == 1.0
    quiet = PerImageScores(["bg", "a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.update("all void", np.zeros((4, 4), np.uint8), np.full((4, 4), 255, np.uint8))
        row = quiet.rows()[0]
        assert math.isnan(row["miou"]) and math.isnan(row["iou_a"]) and math.isnan(row["iou_bg"])
