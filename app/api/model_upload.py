"""The body of POST /validate: model files as JSON, or a tar archive in multipart/form-data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from app.api.deps import resources
from app.api.schemas.diff import ModelFilesIn
from app.ecosystem.archive import ArchiveError, ArchiveTooLargeError, read_archive
from app.errors import InvalidParameterError, PayloadTooLargeError, UnsupportedMediaTypeError
from app.resources import Resources

JSON, MULTIPART = "application/json", "multipart/form-data"
ARCHIVE_FIELD = "model"


@dataclass(frozen=True, slots=True)
class ModelUpload:
    """Model files by relative path, and the request part they came from (files or model)."""

    files: dict[str, str | bytes]
    parameter: str


async def model_upload(
    request: Request, res: Annotated[Resources, Depends(resources)]
) -> ModelUpload:
    """The uploaded model files, within the upload size limit."""
    limit = res.settings.max_upload_bytes
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body has {declared} bytes; at most {limit} are read")
    body = _limited(request.stream(), limit)
    if media == JSON:
        return ModelUpload(_json_files(b"".join([chunk async for chunk in body])), "files")
    if media == MULTIPART:
        archive = await _archive(request, body, limit)
        try:
            files = await asyncio.to_thread(read_archive, archive, limit)
        except ArchiveTooLargeError as error:
            raise PayloadTooLargeError(str(error)) from error
        except ArchiveError as error:
            raise InvalidParameterError(ARCHIVE_FIELD, str(error)) from error
        return ModelUpload(dict(files), ARCHIVE_FIELD)
    raise UnsupportedMediaTypeError(
        f"send the model as {JSON} {{'files': {{path: text}}}} or as {MULTIPART}"
        f" with a tar.gz file in the field {ARCHIVE_FIELD!r}"
    )


async def _limited(chunks: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks, stopping with 413 once more than limit bytes arrived."""
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise PayloadTooLargeError(f"the body has more than {limit} bytes")
        yield chunk


def _json_files(body: bytes) -> dict[str, str | bytes]:
    try:
        return dict(ModelFilesIn.model_validate_json(body).files)
    except ValidationError as error:
        reason = error.errors()[0]
        where = ".".join(str(step) for step in reason["loc"]) or "body"
        raise InvalidParameterError(
            "files", f"the body must be {{'files': {{path: text}}}}: {where}: {reason['msg']}"
        ) from error


async def _archive(request: Request, body: AsyncGenerator[bytes, None], limit: int) -> bytes:
    """The content of the archive field of a multipart body."""
    parser = MultiPartParser(request.headers, body, max_files=1, max_fields=16)
    parser.spool_max_size = limit  # the body is bounded: keep the file in memory
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise InvalidParameterError(
            ARCHIVE_FIELD, f"unreadable multipart body: {error.message}"
        ) from error
    field: Any = form.get(ARCHIVE_FIELD)
    try:
        if not isinstance(field, UploadFile):
            raise InvalidParameterError(
                ARCHIVE_FIELD, f"send the model as a tar.gz file in the field {ARCHIVE_FIELD!r}"
            )
        return await field.read()
    finally:
        await form.close()
