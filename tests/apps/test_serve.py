"""The HTTP service through FastAPI's TestClient: good, corrupt, oversize and wrong-type uploads,
concurrent requests, the page, the OpenAPI schema, Grad-CAM."""
import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from unetkit.apps.serve import ServeLimits, create_app, load_service


def _png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def client(checkpoint):
    app = create_app(load_service(checkpoint=checkpoint, device="cpu"),
                     ServeLimits(max_bytes=200_000, max_pixels=250_000, workers=2))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def image_bytes():
    return _png(np.random.default_rng(0).integers(0, 256, (60, 70, 3), dtype=np.uint8))


def test_page_health_metadata_and_openapi(client):
    page = client.get("/")
    assert page.status_code == 200 and "<input id=\"file\"" in page.text
    assert client.get("/health").json() == {"status": "ok"}
    metadata = client.get("/metadata").json()
    assert metadata["classes"] == ["background", "foreground"] and metadata["cam"] is True
    assert metadata["backend"] == "pytorch" and len(metadata["colors"]) == 2
    schema = client.get("/openapi.json").json()
    assert {"/predict", "/cam", "/health", "/metadata"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_predict_json_and_pngs(client, image_bytes):
    result = client.post("/predict", files={"file": ("x.png", image_bytes, "image/png")}).json()
    assert (result["width"], result["height"]) == (70, 60)
    assert sum(entry["pixels"] for entry in result["classes"]) == 60 * 70
    assert sum(entry["fraction"] for entry in result["classes"]) == pytest.approx(1.0)
    for output in ("overlay", "labels", "mask", "input"):
        response = client.post(f"/predict?output={output}", files={"file": ("x.png", image_bytes, "image/png")})
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        picture = Image.open(io.BytesIO(response.content))
        assert picture.size == (70, 60)
    mask = np.asarray(Image.open(io.BytesIO(client.post("/predict?output=mask", files={"file": ("x.png", image_bytes)}).content)))
    assert set(np.unique(mask)) <= {0, 1}
    assert client.post("/predict?output=video", files={"file": ("x.png", image_bytes)}).status_code == 422


@pytest.mark.parametrize("payload, status, words", [
    (b"this is not an image at all", 415, "not an image"),
    (None, 400, "unreadable image"),                       # a truncated PNG
    (b"", 400, "empty upload"),
])
def test_bad_uploads_get_a_json_message(client, image_bytes, payload, status, words):
    data = image_bytes[: len(image_bytes) // 2] if payload is None else payload
    response = client.post("/predict", files={"file": ("bad.png", data, "image/png")})
    assert response.status_code == status and words in response.json()["detail"]


def test_too_large_uploads_are_413_and_uploads_stay_in_memory(client):
    from starlette.formparsers import MultiPartParser
    assert MultiPartParser.spool_max_size > 200_000   # never spooled to a temporary file
    big_file = b"\x89PNG" + b"\x00" * 300_000       # refused on its declared length
    assert client.post("/predict", files={"file": ("big.png", big_file)}).status_code == 413
    just_over = b"\x89PNG" + b"\x00" * 200_500       # within the header allowance: refused when read
    assert client.post("/predict", files={"file": ("big.png", just_over)}).status_code == 413
    # few bytes, many pixels: a flat 600 x 600 PNG compresses to almost nothing
    many_pixels = _png(np.zeros((600, 600), np.uint8))
    response = client.post("/predict", files={"file": ("wide.png", many_pixels)})
    assert response.status_code == 413 and "pixels" in response.json()["detail"]


def test_concurrent_requests_all_succeed(client, image_bytes):
    def one(_):
        return client.post("/predict", files={"file": ("x.png", image_bytes, "image/png")}).status_code
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(16))) == [200] * 16


def test_cam_for_a_class(client, image_bytes):
    response = client.post("/cam?class_name=foreground", files={"file": ("x.png", image_bytes)})
    assert response.status_code == 200 and Image.open(io.BytesIO(response.content)).size == (70, 60)
    wrong = client.post("/cam?class_name=nothing", files={"file": ("x.png", image_bytes)})
    assert wrong.status_code == 400 and "unknown class" in wrong.json()["detail"]


def test_an_onnx_model_serves_without_cam(tmp_path, checkpoint, image_bytes):
    from unetkit.apps.export import export_checkpoint
    onnx_path = export_checkpoint(checkpoint, "onnx", tmp_path / "m.onnx")["path"]
    with TestClient(create_app(load_service(model=onnx_path))) as onnx_client:
        assert onnx_client.get("/metadata").json()["backend"] == "onnxruntime"
        assert onnx_client.post("/predict", files={"file": ("x.png", image_bytes)}).status_code == 200
        assert onnx_client.post("/cam?class_name=foreground", files={"file": ("x.png", image_bytes)}).status_code == 400


def test_inference_overrides_apply_to_the_service(checkpoint):
    service = load_service(checkpoint=checkpoint, device="cpu", overrides=["infer.tta=true", "infer.tile=128"])
    assert service.predictor.settings.tta is True and service.predictor.settings.tile == 128
    for precision in ("fp32", "bf16"):   # infer.precision decides how the service's Predictor is built
        served = load_service(checkpoint=checkpoint, device="cpu", overrides=[f"infer.precision={precision}"])
        assert served.predictor.precision == precision
        assert next(served.predictor.inference_model.parameters()).dtype == (
            torch.bfloat16 if precision == "bf16" else torch.float32)
    from unetkit.errors import ConfigError
    with pytest.raises(ConfigError, match="only inference settings"):
        load_service(checkpoint=checkpoint, device="cpu", overrides=["train.lr=1"])


def _fundus_like() -> np.ndarray:
    """A bright disc (noise inside) on a black surround, as a fundus photograph."""
    generator = np.random.default_rng(4)
    yy, xx = np.mgrid[:64, :64]
    disc = (yy - 32) ** 2 + (xx - 32) ** 2 < 26 ** 2
    image = np.where(disc[..., None], generator.integers(90, 200, (64, 64, 3)), generator.integers(0, 6, (64, 64, 3)))
    return image.astype(np.uint8)


def test_a_model_trained_with_rois_is_restricted_to_one_and_says_so_without(client):
    """The synthetic run trains with ROI masks: without an ROI the JSON warns; with roi_auto or an
    uploaded ROI nothing outside it is foreground and the overlay draws its outline (issue 31)."""
    assert client.get("/metadata").json()["trained_with_roi"] is True
    image = _fundus_like()
    plain = client.post("/predict", files={"file": ("f.png", _png(image))}).json()
    assert plain["roi"] == "none" and "region-of-interest" in plain["warning"]
    derived = client.post("/predict?output=json&roi_auto=true", files={"file": ("f.png", _png(image))}).json()
    assert derived["roi"] == "auto" and "warning" not in derived
    mask = client.post("/predict?output=mask&roi_auto=true", files={"file": ("f.png", _png(image))})
    labels = np.asarray(Image.open(io.BytesIO(mask.content)))
    yy, xx = np.mgrid[:64, :64]
    assert not labels[(yy - 32) ** 2 + (xx - 32) ** 2 > 27 ** 2].any()      # nothing outside the disc
    overlay = np.asarray(Image.open(io.BytesIO(client.post("/predict?output=overlay&roi_auto=true",
                                                           files={"file": ("f.png", _png(image))}).content)))
    assert ((overlay == [255, 210, 0]).all(2)).sum() > 50                    # the yellow outline
    roi = np.zeros((64, 64), np.uint8)
    roi[:, :20] = 255
    given = client.post("/predict?output=mask", files={"file": ("f.png", _png(image)), "roi": ("r.png", _png(roi))})
    assert not np.asarray(Image.open(io.BytesIO(given.content)))[:, 20:].any()
    wrong = client.post("/predict", files={"file": ("f.png", _png(image)), "roi": ("r.png", _png(roi[:30]))})
    assert wrong.status_code == 400 and "the ROI is 64x30" in wrong.json()["detail"]
