import torch

from unetkit.data import PatchDataset, compute_normalization, find_samples, load_samples
from unetkit.data.augment import build_augmentation


def test_patches_are_reproducible_and_vary_by_epoch(tiny_config):
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    normalization = compute_normalization(samples)
    def make():
        return PatchDataset(samples, 32, 8, normalization, build_augmentation(tiny_config.augment), seed=3)
    first, second = make(), make()
    image_a, label_a = first[5]
    image_b, label_b = second[5]
    assert torch.equal(image_a, image_b) and torch.equal(label_a, label_b)
    second.set_epoch(1)
    assert not torch.equal(second[5][0], image_a)
    assert image_a.shape == (3, 32, 32) and label_a.dtype == torch.int64


def test_normalization_is_zero_mean_unit_std(tiny_config):
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    normalization = compute_normalization(samples)
    pixels = torch.cat([normalization.apply(s.image)[:, torch.from_numpy(s.roi)] for s in samples], dim=1)
    assert torch.allclose(pixels.mean(1), torch.zeros(3), atol=1e-3)
    assert torch.allclose(pixels.std(1), torch.ones(3), atol=1e-2)


def test_small_images_are_mirror_padded_to_patch(tiny_config):
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    dataset = PatchDataset(samples, 100, 2, compute_normalization(samples))
    image, label = dataset[0]
    assert image.shape == (3, 100, 100) and label.shape == (100, 100)


def test_weight_maps_travel_with_patches(tiny_config):
    from unetkit.data.dataset import attach_weight_maps
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    attach_weight_maps(samples, 2, w0=10, sigma=5)
    dataset = PatchDataset(samples, 32, 4, compute_normalization(samples), build_augmentation(tiny_config.augment))
    image, label, weights = dataset[0]
    assert weights.shape == label.shape and weights.dtype == torch.float32
    assert (weights[label == 255] == 0).all() and (weights[label != 255] > 0).all()


def test_worker_processes_see_the_same_patches(tiny_config):
    from torch.utils.data import DataLoader
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    dataset = PatchDataset(samples, 32, 8, compute_normalization(samples), build_augmentation(tiny_config.augment))
    single = [b[0] for b in DataLoader(dataset, batch_size=4)]
    parallel = [b[0] for b in DataLoader(dataset, batch_size=4, num_workers=2)]
    assert all(torch.equal(a, b) for a, b in zip(single, parallel)) and len(single) == 2


def test_zoom_out_crops_more_of_the_image_into_the_same_patch(tiny_config):
    """augment.zoom_out: a crop of up to zoom_out x the patch side, shrunk to the patch. On 8-px stripes a
    shrunk crop shows more, narrower stripes; labels stay class ids (nearest), images keep their channels."""
    import dataclasses

    import numpy as np

    columns = np.arange(96)
    label = np.broadcast_to(((columns // 8) % 2).astype(np.uint8), (96, 96)).copy()
    image = np.repeat((label * 200)[..., None], 3, axis=2).astype(np.uint8)
    template = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)[0]
    sample = dataclasses.replace(template, image=image, label=label, roi=None)
    normalization = compute_normalization([sample])

    def stripes_per_patch(zoom):
        dataset = PatchDataset([sample], 32, 24, normalization, zoom_out=zoom)
        counts = []
        for index in range(len(dataset)):
            image_patch, label_patch = dataset[index]
            assert image_patch.shape == (3, 32, 32) and set(label_patch.unique().tolist()) <= {0, 1}
            counts.append(int((label_patch[0, 1:] != label_patch[0, :-1]).sum()))
        return np.mean(counts)
    assert stripes_per_patch(1.0) <= 4          # 32 px of 8-px stripes: at most 4 changes
    assert stripes_per_patch(2.5) > 1.5 * stripes_per_patch(1.0)


def test_class_pixel_counts_are_integers_per_class_with_absent_classes_and_ignored_pixels():
    """Found by `make mutants` (issue 31): the highest class absent from every label, void pixels left out."""
    import numpy as np

    from unetkit.data import Sample, class_pixel_counts
    label = np.array([[0, 0, 1], [255, 255, 0]], np.uint8)
    samples = [Sample(f"s{i}", np.zeros((2, 3, 3), np.uint8), label, None, None) for i in range(2)]
    counts = class_pixel_counts(samples, 3)
    assert counts.tolist() == [6, 2, 0] and counts.dtype == np.int64
    no_void = [Sample("s", np.zeros((2, 3, 3), np.uint8), np.array([[0, 1, 1]], np.uint8), None, None)]
    assert class_pixel_counts(no_void, 4).tolist() == [1, 2, 0, 0]    # no value as high as the classes' count


def test_load_sample_reads_the_page_of_each_stack_and_folds_the_roi_into_the_given_ignore_label(tmp_path):
    """Found by `make mutants` (issue 31): image, mask and ROI all come from the sample's page of a stack;
    outside the ROI the label is the ignore label asked for; an ROI of another size is one line naming it."""
    import numpy as np
    import pytest
    import tifffile

    from unetkit.config import load_config
    from unetkit.data import load_sample
    from unetkit.data.formats import SampleFiles
    from unetkit.errors import DataError
    images = np.stack([np.full((6, 8), v, np.uint8) for v in (10, 20)])
    masks = np.stack([np.zeros((6, 8), np.uint8), np.ones((6, 8), np.uint8)])
    rois = np.zeros((2, 6, 8), np.uint8)
    rois[1, :, :4] = 255                                  # page 1: only the left half is inside
    for name, stack in (("image", images), ("mask", masks), ("roi", rois)):
        tifffile.imwrite(tmp_path / f"{name}.tif", stack)
    data = load_config(None, [f"data.root={tmp_path}", "data.format=folder", "data.channels=1", "data.mask=index"]).data
    files = SampleFiles("s", tmp_path / "image.tif", tmp_path / "mask.tif", tmp_path / "roi.tif", page=1)
    sample = load_sample(files, data, ignore_index=7)
    assert int(sample.image.mean()) == 20 and sample.roi[:, :4].all() and not sample.roi[:, 4:].any()
    assert (sample.label[:, :4] == 1).all() and (sample.label[:, 4:] == 7).all()
    tifffile.imwrite(tmp_path / "small_roi.tif", rois[:, :5])
    with pytest.raises(DataError, match=r"small_roi.tif: roi mask is 8x5 but image image.tif is 8x6"):
        load_sample(SampleFiles("s", tmp_path / "image.tif", tmp_path / "mask.tif", tmp_path / "small_roi.tif", 1),
                    data)
    tifffile.imwrite(tmp_path / "small_mask.tif", masks[:, :5])
    with pytest.raises(DataError, match=rf"^{tmp_path / 'small_mask.tif'}: mask is 8x5 but image image.tif is 8x6$"):
        load_sample(SampleFiles("s", tmp_path / "image.tif", tmp_path / "small_mask.tif", None, 1), data)
    assert sample.name == "s" and sample.files is files
    from unetkit.data import load_samples
    assert (load_samples([files], data, ignore_index=9)[0].label[:, 4:] == 9).all()
