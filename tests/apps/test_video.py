import cv2
import numpy as np
import pytest

from unetkit import Predictor
from unetkit.apps.video import predict_video
from unetkit.errors import DataError


def test_video_keeps_frame_count_and_rate(tmp_path, checkpoint):
    source = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(source), cv2.VideoWriter_fourcc(*"mp4v"), 12.0, (48, 32))
    for index in range(7):
        frame = np.full((32, 48, 3), 40 + 20 * index, np.uint8)
        cv2.line(frame, (0, index * 4), (47, 31), (10, 10, 10), 2)
        writer.write(frame)
    writer.release()
    predictor = Predictor.from_checkpoint(checkpoint)
    frames = predict_video(predictor, source, tmp_path / "out.mp4", progress=False)
    result = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert frames == 7 and int(result.get(cv2.CAP_PROP_FRAME_COUNT)) == 7
    assert result.get(cv2.CAP_PROP_FPS) == pytest.approx(12.0)
    assert (int(result.get(cv2.CAP_PROP_FRAME_WIDTH)), int(result.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (48, 32)


def test_unreadable_video(tmp_path, checkpoint):
    (tmp_path / "bad.mp4").write_bytes(b"nothing")
    with pytest.raises(DataError, match="bad.mp4"):
        predict_video(Predictor.from_checkpoint(checkpoint), tmp_path / "bad.mp4", tmp_path / "o.mp4")
