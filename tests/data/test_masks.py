"""The mask doctor: encodings detected, not assumed; what is ambiguous is one line saying what to set.

The first two tests are the silent failures of the peers' trackers ("predictions all black"): a 0/1
mask read as binary used to become all background, a 0/255 mask read as class ids all ignore.
"""
import numpy as np
import pytest
from PIL import Image

from unetkit.data.io import MaskReading, read_binary_mask, read_index_mask
from unetkit.errors import DataError
from unetkit.viz.palette import voc_palette

from ..conftest import write_png


def _disk(values=(0, 1)) -> np.ndarray:
    mask = np.full((9, 9), values[0], np.uint8)
    mask[3:6, 3:6] = values[1]
    return mask


def test_a_0_1_mask_read_as_binary_keeps_its_foreground(tmp_path):
    path = write_png(tmp_path / "m.png", _disk((0, 1)))
    mask = read_binary_mask(path)
    assert mask.sum() == 9 and mask[4, 4] == 1


def test_a_0_255_mask_read_as_class_ids_is_one_line_saying_binary(tmp_path):
    path = write_png(tmp_path / "m.png", _disk((0, 255)))
    with pytest.raises(DataError, match=r"m\.png: a 0/255 mask read as class ids .* set data\.mask=binary") as error:
        read_index_mask(path, 2)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("values", [(0, 255), (0, 1), (0, 38), (0, 128)])
def test_any_zero_and_k_mask_is_binary(tmp_path, values):
    assert read_binary_mask(write_png(tmp_path / "m.png", _disk(values))).sum() == 9


def test_uniform_masks_are_what_they_hold(tmp_path):
    assert read_binary_mask(write_png(tmp_path / "bg.png", np.zeros((4, 4), np.uint8))).sum() == 0
    assert read_binary_mask(write_png(tmp_path / "fg.png", np.ones((4, 4), np.uint8))).sum() == 16


def test_class_ids_read_as_binary_say_index(tmp_path):
    path = write_png(tmp_path / "m.png", np.array([[0, 1, 2], [2, 1, 0]], np.uint8))
    with pytest.raises(DataError, match="look like class ids.*set data.mask=index data.num_classes=3"):
        read_binary_mask(path)


def test_two_values_without_zero_are_ambiguous(tmp_path):
    with pytest.raises(DataError, match=r"values 1, 2 \(no 0\)"):
        read_binary_mask(write_png(tmp_path / "m.png", _disk((1, 2))))


def test_a_void_class_outside_the_classes_suggests_ignore_index(tmp_path):
    """CamVid: 11 classes, void = 11."""
    labels = np.array([[0, 5, 10], [11, 11, 3]], np.uint8)
    path = write_png(tmp_path / "m.png", labels)
    with pytest.raises(DataError, match="label values 11 outside classes 0..10 .*set data.ignore_index=11"):
        read_index_mask(path, 11)
    read = read_index_mask(path, 11, ignore_index=11)
    assert read.tolist() == [[0, 5, 10], [255, 255, 3]]


def test_too_few_classes_suggests_num_classes(tmp_path):
    path = write_png(tmp_path / "m.png", np.array([[0, 1, 4, 5]], np.uint8))
    with pytest.raises(DataError, match="set data.num_classes=6"):
        read_index_mask(path, 3)


def test_colour_masks_map_through_the_voc_palette_or_given_colours(tmp_path):
    ids = np.array([[0, 1, 2], [15, 1, 0]], np.uint8)
    rgb = voc_palette()[ids]
    rgb[1, 2] = (224, 224, 192)   # VOC's object border colour = ignore
    path = write_png(tmp_path / "m.png", rgb)
    assert read_index_mask(path, 21).tolist() == [[0, 1, 2], [15, 1, 255]]
    own = np.array([[[10, 20, 30], [200, 0, 0]]], np.uint8)
    path = write_png(tmp_path / "own.png", own)
    assert read_index_mask(path, 2, colors=[[10, 20, 30], [200, 0, 0]]).tolist() == [[0, 1]]
    with pytest.raises(DataError, match=r"colours \(200, 0, 0\) are not in the colour table.*data.colors"):
        read_index_mask(path, 2, colors=[[10, 20, 30], [0, 0, 200]])


def test_palette_pngs_give_their_indices_even_0_and_255(tmp_path):
    """A palette PNG says what its values are: 0/255 there is class 0 and VOC's ignore border."""
    image = Image.fromarray(_disk((0, 255)), mode="P")
    image.putpalette(voc_palette().reshape(-1).tolist())
    image.save(tmp_path / "m.png")
    read = read_index_mask(tmp_path / "m.png", 2)
    assert read.max() == 255 and read.sum() == 9 * 255


def test_mask_reading_comes_from_a_config_or_a_stored_run():
    reading = MaskReading.from_data({"mask": "index", "num_classes": 12, "ignore_index": 11, "colors": []})
    assert reading == MaskReading("index", 12, 11, ())
    assert MaskReading.from_data({"num_classes": 4}).mode == "index"
    assert MaskReading.from_data({}).mode == "binary"


def test_a_camvid_style_dataset_trains_with_its_void_label_ignored(tmp_path):
    """11 classes, void = 11: training runs with data.ignore_index=11 and the metrics count no void pixel."""
    from unetkit.apps.evaluate import evaluate_checkpoint
    from unetkit.config import load_config
    from unetkit.data import find_samples, load_samples
    from unetkit.evaluate import score_samples
    from unetkit.infer import Predictor
    from unetkit.models import load_model
    from unetkit.train import train
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for index in range(2):
            labels = rng.integers(0, 11, (32, 32)).astype(np.uint8)
            labels[:4] = 11                                   # a void band
            write_png(tmp_path / split / "masks" / f"{index}.png", labels)
            write_png(tmp_path / split / "images" / f"{index}.png", (labels * 20).astype(np.uint8))
    overrides = [f"data.root={tmp_path}", "data.mask=index", "data.num_classes=11", "data.ignore_index=11",
                 "data.patch_size=32", "data.patches_per_epoch=8", "model.base_channels=4", "model.depth=2",
                 "train.batch_size=4", "train.epochs=1", "train.progress=false", "train.precision=fp32"]
    config = load_config(None, overrides)
    train(config, tmp_path / "run")
    samples = load_samples(find_samples(config.data, "val"), config.data)
    assert all((sample.label[:4] == 255).all() and (sample.label[4:] < 11).all() for sample in samples)
    model, meta = load_model(tmp_path / "run" / "best.pt")
    predictor = Predictor(model, meta.normalization, meta.class_names, device="cpu", precision="fp32")
    _, confusion = score_samples(predictor, samples)
    assert confusion.sum() == 2 * 28 * 32                     # every pixel but the void band
    metrics = evaluate_checkpoint(tmp_path / "run" / "best.pt", "val")   # the stored ignore_index is used
    assert 0 <= metrics["miou"] <= 1


def test_an_ignore_colour_of_three_different_channels_becomes_the_ignore_label(tmp_path):
    """VOC's cream (224, 224, 192) repeats its red in green: a channel mix-up there goes unseen (`make
    mutants`, issue 31); a void colour of three different channels shows it."""
    from unetkit.data.masks import colour_labels
    rgb = np.array([[[0, 0, 0], [10, 20, 30], [255, 0, 0]]], np.uint8)
    labels = colour_labels(rgb, tmp_path / "m.png", np.array([[0, 0, 0], [255, 0, 0]]), 2, ignore_colour=(10, 20, 30))
    assert labels.tolist() == [[0, 255, 1]]
    with pytest.raises(DataError, match=r"m.png: colours \(10, 20, 30\) are not in the colour table of 2 classes"):
        colour_labels(rgb, tmp_path / "m.png", np.array([[0, 0, 0], [255, 0, 0]]), 2, ignore_colour=(20, 20, 30))


def test_the_lists_in_mask_messages_show_the_first_values_exactly(tmp_path):
    """Word for word (found by `make mutants`, issue 31): at most 4 unknown colours, each channel right, then
    '...'; at most 6 out-of-range values, then '...'; labels come back as uint8."""
    from unetkit.data.masks import colour_labels, index_labels
    colours = np.array([[0, 0, 0], [255, 0, 0]])
    rgb = np.array([[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [0, 0, 0]]], np.uint8)
    with pytest.raises(DataError) as raised:
        colour_labels(rgb, tmp_path / "m.png", colours, 2)
    assert str(raised.value) == (f"{tmp_path / 'm.png'}: colours (1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12) ... "
                                 "are not in the colour table of 2 classes; list every class colour in data.colors")
    with pytest.raises(DataError, match=r"colours \(1, 2, 3\), \(4, 5, 6\), \(7, 8, 9\), \(10, 11, 12\) are not"):
        colour_labels(rgb[:, :4], tmp_path / "m.png", colours, 2)
    assert colour_labels(np.array([[[255, 0, 0]]], np.uint8), tmp_path / "m.png", colours, 2).dtype == np.uint8
    with pytest.raises(DataError, match=r"label values 3, 4, 5, 6, 7, 8 outside classes 0..2 "):
        index_labels(np.arange(9, dtype=np.uint8).reshape(3, 3), tmp_path / "i.png", 3)
    with pytest.raises(DataError, match=r"label values 3, 4, 5, 6, 7, 8 \.\.\. outside"):
        index_labels(np.arange(10, dtype=np.uint8).reshape(2, 5), tmp_path / "i.png", 3)


@pytest.mark.parametrize(("values", "classes", "ending"), [
    ([0, 1, 2, 3], 2, "(255 = ignore); more classes? set data.num_classes=4"),     # the next id up: more classes
    ([0, 1, 2, 31], 2, "(255 = ignore); more classes? set data.num_classes=32"),
    ([0, 1, 2, 32], 2, "(255 = ignore)"),                                            # 32 and up: not small ids
    ([0, 200, 201], 2, "(255 = ignore)"),
])
def test_the_hint_for_values_outside_the_classes_word_for_word(tmp_path, values, classes, ending):
    from unetkit.data.masks import index_labels
    with pytest.raises(DataError) as raised:
        index_labels(np.array([values], np.uint8), tmp_path / "m.png", classes)
    assert str(raised.value).endswith(f"outside classes 0..{classes - 1} {ending}")


def test_a_void_value_of_the_users_becomes_the_ignore_label_as_uint8(tmp_path):
    from unetkit.data.masks import index_labels
    labels = index_labels(np.array([[0, 9, 1]], np.uint8), tmp_path / "m.png", 2, ignore_index=9)
    assert labels.tolist() == [[0, 255, 1]] and labels.dtype == np.uint8
    assert index_labels(np.array([[0, 1]], np.uint8), tmp_path / "m.png", 2).dtype == np.uint8


def test_binary_masks_split_at_127_and_class_ids_stop_below_32():
    """Found by `make mutants` (issue 31): an anti-aliased 0/255 mask is foreground from 128 up; three or more
    values all below 32 read as class ids, a maximum of 32 does not."""
    from pathlib import Path

    from unetkit.data.masks import binary_labels
    plane = np.array([[0, 126, 127, 128, 255]], np.uint8)
    assert binary_labels(plane, Path("m.png")).tolist() == [[0, 0, 0, 1, 1]]
    assert binary_labels(np.array([[0, 5, 32]], np.uint8), Path("m.png")).tolist() == [[0, 0, 0]]
    with pytest.raises(DataError, match=r"^m.png: mask values 0, 5, 31 look like class ids.*data.num_classes=32$"):
        binary_labels(np.array([[0, 5, 31]], np.uint8), Path("m.png"))
