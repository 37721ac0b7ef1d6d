"""Segment a video frame by frame into an annotated video with the same size and frame rate (OpenCV)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import DataError
from ..infer.predictor import Predictor
from ..progress import progress as progress_of

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")


def is_video_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES


def predict_video(predictor: Predictor, path: str | Path, out_path: str | Path, alpha: float = 0.7,
                  progress: bool = True) -> int:
    """Write `out_path` (mp4v) with each frame's prediction blended over it; returns the frame count."""
    path, out_path = Path(path), Path(out_path)
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise DataError(f"{path}: unreadable video")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    bar = progress_of(None, path.name, "frame", total=total, enabled=progress)
    frames = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            image = rgb if predictor.in_channels == 3 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None]
            overlay = predictor.predict(image).overlay(alpha)
            writer.write(cv2.cvtColor(np.ascontiguousarray(overlay), cv2.COLOR_RGB2BGR))
            frames += 1
            bar.update()
    finally:
        bar.close()
        capture.release()
        writer.release()
    if frames == 0:
        raise DataError(f"{path}: no frames could be decoded")
    return frames
