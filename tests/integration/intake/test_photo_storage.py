"""One photo-store test suite, run against both backends: the local folder and an
S3-compatible bucket (a real S3 API server, moto's, started in this test process and spoken
to over HTTP by boto3). Then the intake upload + public-photo path end to end on each."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sigap_intake.settings import IntakeSettings
from sigap_intake.photos.storage import LocalPhotoStore, PhotoStore, S3PhotoStore, photo_store_from_settings
from tests.integration.intake.conftest import running_intake
from tests.support.infra import free_port
from tests.unit.intake.images import camera_photo, jpeg_metadata_markers

pytestmark = pytest.mark.integration

CREDENTIALS = {"s3_access_key_id": "sigap-test", "s3_secret_access_key": "sigap-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _s3_settings(endpoint: str, bucket: str, **overrides) -> dict:
    return {"photo_storage": "s3", "s3_endpoint_url": endpoint, "s3_bucket": bucket, **CREDENTIALS, **overrides}


def _new_bucket(endpoint: str) -> str:
    bucket = f"sigap-photos-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["s3_access_key_id"],
        aws_secret_access_key=CREDENTIALS["s3_secret_access_key"],
    ).create_bucket(Bucket=bucket)
    return bucket


@dataclass
class Backend:
    store: PhotoStore
    keys: Callable[[], list[str]]  # every stored key, as the backend itself lists them
    settings: dict


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path: Path) -> Backend:
    if request.param == "local":
        root = tmp_path / "photos"
        settings = {"photo_storage": "local", "photo_dir": root}
        store = photo_store_from_settings(IntakeSettings(**settings))
        assert isinstance(store, LocalPhotoStore)
        return Backend(
            store=store,
            keys=lambda: sorted(
                str(path.relative_to(root)) for path in root.rglob("*") if path.is_file() and not path.name.startswith(".")
            ),
            settings=settings,
        )
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = _new_bucket(endpoint)
    settings = _s3_settings(endpoint, bucket)
    store = photo_store_from_settings(IntakeSettings(**settings))
    assert isinstance(store, S3PhotoStore)
    lister = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=CREDENTIALS["s3_access_key_id"],
                          aws_secret_access_key=CREDENTIALS["s3_secret_access_key"])
    return Backend(
        store=store,
        keys=lambda: sorted(obj["Key"] for obj in lister.list_objects_v2(Bucket=bucket).get("Contents", [])),
        settings=settings,
    )


def _photo() -> bytes:
    return camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=(-6.39, 106.82))


def test_bytes_come_back_under_a_content_addressed_key(backend):
    data = _photo()
    key = backend.store.put(data, area="originals", suffix=".jpg")
    digest = hashlib.sha256(data).hexdigest()
    assert key == f"originals/{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    assert backend.store.get(key) == data
    assert backend.keys() == [key]


def test_the_same_bytes_are_stored_once_even_when_put_concurrently(backend):
    data = _photo()
    first = backend.store.put(data, area="originals", suffix=".jpg")
    with ThreadPoolExecutor(max_workers=6) as pool:
        keys = set(pool.map(lambda _: backend.store.put(data, area="originals", suffix=".jpg"), range(12)))
    assert keys == {first}
    assert backend.keys() == [first]


def test_areas_and_contents_keep_separate_keys(backend):
    data, other = _photo(), _photo()
    keys = {
        backend.store.put(data, area="originals", suffix=".jpg"),
        backend.store.put(data, area="public", suffix=".jpg"),
        backend.store.put(other, area="originals", suffix=".heic"),
    }
    assert len(keys) == 3 and backend.keys() == sorted(keys)
    assert {key.split("/")[0] for key in keys} == {"originals", "public"}


def test_an_unknown_key_is_file_not_found(backend):
    with pytest.raises(FileNotFoundError):
        backend.store.get("originals/00/00/" + "0" * 64 + ".jpg")


async def test_uploads_and_public_copies_go_through_the_configured_backend(backend, infra, databases, tmp_path):
    settings = dict(backend.settings)
    async with running_intake(infra, databases, settings.pop("photo_dir", tmp_path / "unused"), **settings) as intake:
        assert type(intake.context.photo_store) is type(backend.store)
        data = _photo()
        ids = []
        for _ in range(2):  # the same bytes twice: two photos, one stored original
            session = (await intake.client.post("/v1/capture-sessions")).json()
            response = await intake.client.post(
                "/v1/photos",
                data={"capture_token": session["capture_token"]},
                files={"file": ("IMG_7001.jpg", data, "image/jpeg")},
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        submitted = await intake.client.post(
            "/v1/complaints",
            json={
                "description": "Parkir liar memakan badan jalan di Jl. Dewi Sartika, macet tiap sore",
                "category": "parkir",
                "location": {"address": "Jl. Dewi Sartika, Depok"},
                "photos": ids[:1],
            },
        )
        assert submitted.status_code == 201, submitted.text
        public = await intake.client.get(f"/v1/photos/{ids[0]}/public")
        assert public.status_code == 200 and jpeg_metadata_markers(public.content) == ["APP0:JFIF"]
        original_key = await intake.pool.fetchval("SELECT original_key FROM photos WHERE id = $1", uuid.UUID(ids[0]))
        public_key = await intake.pool.fetchval("SELECT public_key FROM photos WHERE id = $1", uuid.UUID(ids[0]))
        assert backend.keys() == sorted([original_key, public_key])
        assert backend.store.get(original_key) == data
        assert backend.store.get(public_key) == public.content


def test_s3_settings_are_checked():
    with pytest.raises(ValueError, match="SIGAP_S3_BUCKET"):
        IntakeSettings(photo_storage="s3")
    with pytest.raises(ValueError, match="neither"):
        IntakeSettings(photo_storage="s3", s3_bucket="b", s3_access_key_id="only-the-id")
