"""Images: generated through the images API or uploaded, then made web-ready by the
`image.process` job (real image files, real Pillow)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from ai_content.models import ImageAsset
from benchbarrier.models import SpendEntry
from jobs import runner
from jobs.models import Job, JobStatus
from tests.api_errors import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AI_IMAGE_WIDTHS = [1600, 800, 400]


@pytest.fixture
def client(key_client):
    return key_client("ai")


def camera_photo() -> bytes:
    """A 2400x1600 JPEG as a phone saves it: rotated by EXIF, with camera and GPS tags."""
    image = Image.effect_mandelbrot((2400, 1600), (-2, -1.2, 1, 1.2), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 5.0)}  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def test_an_uploaded_photo_becomes_webp_variants_without_exif(client):
    photo = camera_photo()
    upload = io.BytesIO(photo)
    upload.name = "trail-runner.jpg"
    response = client.post("/api/ai/images", {"file": upload, "label": "SKU-42"},
                           format="multipart")  # fmt: skip
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "processing" and body["label"] == "SKU-42"
    assert (body["width"], body["height"]) == (1600, 2400), "shown as the camera meant"
    runner.drain(worker="w1")
    job = Job.objects.get(pk=body["processJobId"])
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.result["originalBytes"] == len(photo)
    assert [(v["width"], v["height"]) for v in job.result["variants"]] == [
        (1600, 2400), (800, 1200), (400, 600),
    ]  # fmt: skip
    assert 0 < job.result["reduction"] < 1
    asset = ImageAsset.objects.get()
    for variant in asset.variants:
        with default_storage.open(variant["name"]) as stored:
            made = Image.open(io.BytesIO(stored.read()))
        assert made.format == "WEBP"
        assert not made.getexif() and "exif" not in made.info, "no camera or GPS tags left"
    detail = client.get(f"/api/ai/images/{asset.pk}").json()
    assert detail["status"] == "ready" and detail["reduction"] == asset.reduction
    assert detail["variants"][0]["url"].endswith(f"/media/images/web/{asset.pk}/1600w.webp")


def test_a_small_image_is_not_enlarged(client):
    buffer = io.BytesIO()
    Image.new("RGB", (600, 300), "teal").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "small.png"
    client.post("/api/ai/images", {"file": buffer}, format="multipart")
    runner.drain(worker="w1")
    widths = [v["width"] for v in ImageAsset.objects.get().variants]
    assert widths == [600, 400]


def test_a_file_that_is_not_an_image_is_a_400(client):
    upload = io.BytesIO(b"%PDF-1.7 not an image")
    upload.name = "catalogue.pdf"
    response = client.post("/api/ai/images", {"file": upload}, format="multipart")
    assert response.status_code == 400 and "file" in error_fields(response)
    assert "not a readable image" in response.json()["message"]
    assert not ImageAsset.objects.exists() and not Job.objects.exists()


def test_a_generated_image_is_stored_priced_and_processed(client, fake_openai):
    response = client.post("/api/ai/generate/image",
                           {"prompt": "A trail shoe on wet rock", "label": "hero"},
                           format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == "generated" and Decimal(str(body["cost"])) == Decimal("0.042")
    sent = fake_openai.requests[-1]
    assert sent["path"] == "/v1/images/generations"
    assert sent["body"]["model"] == "gpt-image-1" and sent["body"]["size"] == "1024x1024"
    entry = SpendEntry.objects.get(operation="images.generate")
    assert entry.cost == Decimal("0.042") and entry.reference == f"image {body['id']}"
    runner.drain(worker="w1")
    asset = ImageAsset.objects.get()
    assert asset.status == "ready"
    assert [v["width"] for v in asset.variants] == [1024, 800, 400]


def test_image_generation_errors(client, fake_openai, settings):
    assert "size" in error_fields(
        client.post("/api/ai/generate/image", {"prompt": "x", "size": "999x999"}, format="json")
    )
    fake_openai.mode = "429"
    response = client.post("/api/ai/generate/image", {"prompt": "x"}, format="json")
    assert response.status_code == 503 and response["Retry-After"] == "7"
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    response = client.post("/api/ai/generate/image", {"prompt": "x"}, format="json")
    assert response.status_code == 503 and response.json()["code"] == "ai_not_configured"
    assert not ImageAsset.objects.exists()


def test_the_admin_lists_images_with_previews(client, staff_client):
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), "teal").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "p.png"
    client.post("/api/ai/images", {"file": buffer, "label": "SKU-7"}, format="multipart")
    runner.drain(worker="w1")
    page = staff_client.get("/admin/ai_content/imageasset/").content.decode()
    assert "SKU-7" in page and "400w.webp" in page and "900x600" in page


def test_processing_run_twice_leaves_one_set_of_variants(client, settings):
    from tests.at_least_once import run_twice

    upload = io.BytesIO(camera_photo())
    upload.name = "trail-runner.jpg"
    asset_id = client.post("/api/ai/images", {"file": upload}, format="multipart").json()["id"]

    run_twice("image.process")

    asset = ImageAsset.objects.get(pk=asset_id)
    assert asset.status == "ready" and len(asset.variants) == 3
    stored = sorted(p.name for p in (settings.MEDIA_ROOT / "images" / "web" / str(asset_id)
                                     ).iterdir())  # fmt: skip
    assert stored == ["1600w.webp", "400w.webp", "800w.webp", "social.jpg"]
