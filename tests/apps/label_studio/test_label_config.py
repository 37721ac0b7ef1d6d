import pytest

from unetkit.apps.label_studio.label_config import parse_label_config
from unetkit.errors import ConfigError

BRUSH = ('<View><Image name="photo" value="$picture"/><BrushLabels name="paint" toName="photo">'
         '<Label value="Vessel"/><Label value="lesion"/></BrushLabels></View>')


def test_the_brush_tag_its_image_and_labels_matched_by_name():
    config = parse_label_config(BRUSH)
    assert (config.from_name, config.to_name, config.data_key, config.labels) == ("paint", "photo", "picture",
                                                                                  ("Vessel", "lesion"))
    assert config.class_labels(["background", "vessel", "optic disc"]) == {1: "Vessel"}
    lines = config.mismatches(["background", "vessel", "optic disc"])
    assert len(lines) == 2 and "optic disc" in lines[0] and "lesion" in lines[1]
    assert "background" not in lines[0]   # background needs no label: it is where no brush is


@pytest.mark.parametrize("text, says", [
    ('<View><Image name="i" value="$image"/><RectangleLabels name="r" toName="i"><Label value="a"/>'
     '</RectangleLabels></View>', "no BrushLabels tag (it has Image, Label, RectangleLabels)"),
    ('<View><BrushLabels name="b" toName="missing"><Label value="a"/></BrushLabels></View>', "does not point to an Image"),
    ('<View><Image name="i" value="$image"/><BrushLabels name="b" toName="i"/></View>', "no Label values"),
    ("<View><Image", "not XML"),
])
def test_configs_a_segmentation_model_cannot_serve_are_named(text, says):
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_label_config(text)
