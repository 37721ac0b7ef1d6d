"""`unetkit serve`: a trained model behind HTTP (FastAPI + uvicorn) with a web page.

GET /            the page (web/index.html: pick or drop an image; overlay, label map, class areas,
                 Grad-CAM for a class when the model is a PyTorch checkpoint)
GET /health      {"status": "ok"}
GET /metadata    classes, colours, input size rules, model name, backend
POST /predict    multipart `file`; ?output=json (default: class pixel counts and fractions, size,
                 seconds) | overlay | labels (PNG, class colours) | mask (PNG, class ids)
POST /cam        multipart `file`; ?class_name=NAME: Grad-CAM heat map over the image (PNG)

The model is loaded once. Requests run in a bounded pool of `workers` threads (PyTorch and ONNX
Runtime release the GIL); more wait their turn. Uploads over `max_bytes` or `max_pixels` get 413, a
file that is no image 415, a corrupt one 400, each with a JSON {"detail": ...}; nothing from a
request touches the disk.
"""
from __future__ import annotations

import asyncio
import errno
import io
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, File, HTTPException, Query, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from PIL import Image
from starlette.formparsers import MultiPartParser

from ..config import override_infer
from ..data.io import ImageTooLarge, NotAnImage, decode_image
from ..errors import ConfigError, DataError
from ..infer import Predictor
from ..infer.predictor import inference_settings
from ..models import load_model
from ..viz.overlay import blend_overlay, draw_contours
from ..viz.palette import overlay_palette

log = logging.getLogger(__name__)

ROI_OUTLINE = np.array([[0, 0, 0]] + [[255, 210, 0]] * 255, np.uint8)   # the ROI's outline on the overlay: yellow
OUTPUTS = ("json", "overlay", "labels", "mask", "input")   # input: the decoded upload as PNG (for browsers
                                                            # that cannot show TIFF and the like)


@dataclass
class ServeLimits:
    max_bytes: int = 20 * 1024 * 1024     # upload size
    max_pixels: int = 40_000_000          # image width x height (decompression bombs, memory)
    workers: int = 2                      # predictions run at once


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


class ModelService:
    """The model and what each endpoint computes, without HTTP (tested on its own)."""

    def __init__(self, predictor: Predictor, name: str, backend: str, explainer_factory=None):
        self.predictor = predictor
        self.name = name
        self.backend = backend
        self.palette = overlay_palette(max(predictor.num_classes, 2))
        self._explainer_factory = explainer_factory
        self._explainer = None
        self._cam_lock = threading.Lock()   # Grad-CAM hooks the network: one explanation at a time

    def metadata(self) -> dict[str, Any]:
        model = self.predictor.model
        return {"model": self.name, "backend": self.backend, "classes": self.predictor.class_names,
                "colors": [self.palette[i].tolist() for i in range(self.predictor.num_classes)],
                "in_channels": model.in_channels, "size_multiple": model.size_multiple, "padding": model.padding,
                "input_rules": "any image size: padded (or tiled above infer.tile) to multiples of size_multiple",
                "cam": self._explainer_factory is not None, "trained_with_roi": self.predictor.trained_with_roi}

    def predict(self, image: np.ndarray, output: str, alpha: float,
                roi: np.ndarray | str | None = None) -> tuple[bytes | dict, str]:
        """`roi`: a mask of the image's size, 'auto' (its field of view, infer/roi.py) or None; outside
        it the label map is background and the overlay draws its outline."""
        if output == "input":
            return _png(image[..., 0] if image.shape[2] == 1 else image), "image/png"
        started = time.perf_counter()
        region = self.predictor.region_of_interest(image, roi)
        prediction = self.predictor.predict(image, roi=region)
        labels = prediction.labels
        if output == "overlay":
            blended = blend_overlay(image, labels, alpha, self.palette)
            return _png(blended if region is None else draw_contours(blended, region.astype(np.uint8), ROI_OUTLINE,
                                                                      thickness=2)), "image/png"
        if output == "labels":
            return _png(self.palette[labels]), "image/png"
        if output == "mask":
            return _png(labels.astype(np.uint8)), "image/png"
        counts = np.bincount(labels.reshape(-1), minlength=self.predictor.num_classes)
        total = int(labels.size)
        result = {"width": int(labels.shape[1]), "height": int(labels.shape[0]),
                  "classes": [{"name": name, "pixels": int(counts[i]), "fraction": counts[i] / total}
                              for i, name in enumerate(self.predictor.class_names)],
                  "roi": "none" if region is None else "auto" if isinstance(roi, str) else "given",
                  "seconds": round(time.perf_counter() - started, 4)}
        if region is None and self.predictor.trained_with_roi:
            result["warning"] = ("this model was trained inside region-of-interest masks: outside them its output is "
                                 "arbitrary; upload the ROI or derive it (roi_auto=true)")
        return result, "application/json"

    def cam(self, image: np.ndarray, class_name: str) -> bytes:
        if self._explainer_factory is None:
            raise ConfigError("Grad-CAM needs a PyTorch checkpoint (serve --checkpoint), not an ONNX model")
        from ..viz.cam import cam_overlay
        with self._cam_lock:
            if self._explainer is None:
                self._explainer = self._explainer_factory()
            explainer = self._explainer
            index = explainer.class_index(class_name)
            layer = explainer.layers.default()[-1]
            (explanation,) = explainer.explain(image, [index], [layer])
        return _png(cam_overlay(image, explanation.maps[layer.name]))


def create_app(service: ModelService, limits: ServeLimits | None = None):
    """The FastAPI application around `service`."""
    limits = limits or ServeLimits()
    pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="unetkit-predict")

    @asynccontextmanager
    async def lifespan(_app):
        yield
        pool.shutdown(wait=False)

    app = FastAPI(title="unetkit", description=f"Segmentation with {service.name}", version="1", lifespan=lifespan)
    # Starlette spools multipart files over 1 MB to a temporary file; keep uploads (bounded by the
    # limit below) in memory, so that nothing from a request touches the disk
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, limits.max_bytes + 1)

    @app.middleware("http")
    async def refuse_large_bodies(request, call_next):
        """413 before the body is parsed when its declared length is over the limit (plus room for
        the multipart headers); a body without a length is cut at the limit when it is read."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limits.max_bytes + 65536:
            return JSONResponse({"detail": f"upload is larger than {limits.max_bytes:,} bytes"}, status_code=413)
        return await call_next(request)
    page = resources.files("unetkit.apps").joinpath("web/index.html").read_text()

    async def read_upload(file: UploadFile, channels: int | None = None) -> np.ndarray:
        data = await file.read(limits.max_bytes + 1)
        if len(data) > limits.max_bytes:
            raise HTTPException(413, f"upload is larger than {limits.max_bytes:,} bytes")
        if not data:
            raise HTTPException(400, "empty upload")
        try:
            return decode_image(data, channels or service.predictor.in_channels, file.filename or "upload",
                                limits.max_pixels)
        except ImageTooLarge as error:
            raise HTTPException(413, str(error)) from None
        except NotAnImage as error:
            raise HTTPException(415, str(error)) from None
        except DataError as error:
            raise HTTPException(400, str(error)) from None

    async def in_pool(function, *args):
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return page

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/metadata")
    async def metadata() -> dict:
        return service.metadata()

    @app.post("/predict", responses={200: {"content": {"application/json": {}, "image/png": {}}}})
    async def predict(file: Annotated[UploadFile, File()],
                      output: Annotated[str, Query(description=" | ".join(OUTPUTS))] = "json",
                      alpha: Annotated[float, Query(ge=0.0, le=1.0)] = 0.6,
                      roi: Annotated[UploadFile | None, File(description="region-of-interest mask (non-zero = "
                                                                          "inside), the image's size")] = None,
                      roi_auto: Annotated[bool, Query(description="derive the field of view from the image")] = False):
        if output not in OUTPUTS:
            raise HTTPException(422, f"output must be one of {', '.join(OUTPUTS)}")
        image = await read_upload(file)
        region = "auto" if roi_auto else None
        if roi is not None and roi.filename:
            region = (await read_upload(roi, channels=1))[..., 0] > 0
            if region.shape != image.shape[:2]:
                raise HTTPException(400, f"the ROI is {region.shape[1]}x{region.shape[0]}, the image "
                                         f"{image.shape[1]}x{image.shape[0]}")
        body, media_type = await in_pool(service.predict, image, output, alpha, region)
        return JSONResponse(body) if media_type == "application/json" else Response(body, media_type=media_type)

    @app.post("/cam", responses={200: {"content": {"image/png": {}}}})
    async def cam(file: Annotated[UploadFile, File()],
                  class_name: Annotated[str, Query(description="class name or index")]):
        image = await read_upload(file)
        try:
            body = await in_pool(service.cam, image, class_name)
        except ConfigError as error:
            raise HTTPException(400, str(error)) from None
        return Response(body, media_type="image/png")

    return app


def load_service(checkpoint: str | Path | None = None, model: str | Path | None = None,
                 device: str = "auto", overrides: list[str] | None = None) -> ModelService:
    """A ModelService for a checkpoint (PyTorch, with Grad-CAM) or an exported .onnx model, with
    'infer.key=value' overrides laid over its stored inference settings."""
    if (checkpoint is None) == (model is None):
        raise ConfigError("serve needs exactly one of --checkpoint CKPT or --model FILE.onnx")
    if model is not None:
        predictor = Predictor.from_onnx(model)
        predictor.settings = override_infer(predictor.settings, overrides or [])
        return ModelService(predictor, Path(model).name, "onnxruntime")
    model, meta = load_model(checkpoint)   # the overrides first: infer.precision decides how the Predictor is built
    predictor = Predictor(model, meta.normalization, meta.class_names,
                          override_infer(inference_settings(meta), overrides or []), device=device, optimize=True,
                          trained_with_roi=meta.trained_with_roi)

    def explainer():
        from ..explain import Explainer
        network, meta = load_model(checkpoint)
        cam_predictor = Predictor(network, meta.normalization, meta.class_names, predictor.settings,
                                  device=device, precision="fp32")
        return Explainer(cam_predictor, score_faithfulness=False)
    return ModelService(predictor, Path(checkpoint).name, "pytorch", explainer)


def serve(checkpoint: str | Path | None = None, model: str | Path | None = None, host: str = "127.0.0.1",
          port: int = 8000, limits: ServeLimits | None = None, device: str = "auto",
          overrides: list[str] | None = None) -> None:
    """Bind the port, load the model once and serve it until interrupted: a port in use or a host this
    machine does not have is one line before the model is loaded, and "serving on" is said once bound."""
    import uvicorn
    listening = bind_port(host, port)
    try:
        app = create_app(load_service(checkpoint, model, device, overrides), limits)
        log.info("serving on http://%s:%d (OpenAPI page: /docs)", host, port)
        uvicorn.Server(uvicorn.Config(app, log_level="info")).run(sockets=[listening])
    finally:
        listening.close()


def bind_port(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (uvicorn serves on it), or a ConfigError naming what is wrong."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError, OverflowError) as error:
        raise ConfigError(f"--host {host}: not an address of this machine ({getattr(error, 'strerror', None) or error})"
                          ) from None
    listening = socket.socket(family, kind, protocol)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(128)
    except OSError as error:
        listening.close()
        why = "in use by another program (choose another --port)" if error.errno == errno.EADDRINUSE else (
            error.strerror or str(error))
        raise ConfigError(f"--host {host} --port {port}: cannot listen there: {why}") from None
    return listening
