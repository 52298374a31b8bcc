"""Moving job data between the emulated S3 and a job's local ``/opt/ml`` folder, as SageMaker does."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from .jobs import JobFailure


def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise JobFailure(f"ClientError: {uri!r} is not an S3 URI (s3://bucket/key).")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def join_uri(*parts: str) -> str:
    return "/".join(p.strip("/") if i else p.rstrip("/") for i, p in enumerate(parts))


def _keys_under(s3, bucket: str, prefix: str) -> list[str]:
    keys = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/")]
    except s3.exceptions.NoSuchBucket:
        pass
    return keys


def download(s3, uri: str, dest: Path, data_type: str = "S3Prefix", region: str = "us-east-1") -> int:
    """Copy what ``uri`` names into ``dest`` the way a File-mode channel does; returns the file count."""
    bucket, prefix = split_uri(uri)
    if data_type == "ManifestFile":
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix)["Body"].read())
        base = manifest[0]["prefix"]
        pairs = [(split_uri(join_uri(base, rel)), rel) for rel in manifest[1:]]
    elif data_type == "S3Prefix":
        keys = _keys_under(s3, bucket, prefix)
        pairs = [((bucket, key), key[len(prefix):].lstrip("/") or Path(key).name) for key in keys]
    else:
        raise JobFailure(f"ClientError: S3DataType {data_type} is not supported by the local backend "
                         "(use S3Prefix or ManifestFile).")
    if not pairs:
        raise JobFailure(
            f'ClientError: Data download failed:No S3 objects found under S3 URL "{uri}" given in input data '
            f"source. Please ensure that the bucket exists in the selected region ({region}), that objects exist "
            f'under that S3 prefix, and that the role has "s3:ListBucket" permissions on bucket "{bucket}".')
    dest.mkdir(parents=True, exist_ok=True)
    for (src_bucket, key), relative in pairs:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(src_bucket, key, str(target))
    return len(pairs)


def upload_file(s3, path: Path, uri: str) -> None:
    bucket, key = split_uri(uri)
    s3.upload_file(str(path), bucket, key)


def upload_tree(s3, folder: Path, uri: str) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        upload_file(s3, path, join_uri(uri, path.relative_to(folder).as_posix()))


def tar_folder(folder: Path, archive: Path) -> Path:
    """``model.tar.gz`` as SageMaker packs it: the folder's contents at the archive root."""
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name)
    return archive


def untar(archive: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
