"""Changes between versions, and validating a model without storing it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from app.api.auth import require
from app.api.deps import Connection
from app.api.model_upload import ARCHIVE_FIELD, JSON, MULTIPART, ModelUpload, model_upload
from app.api.schemas.diff import ModelFilesIn, ValidationOut, VersionDiffOut
from app.api.version_answers import version_answer
from app.catalog.diffs import validation_report, version_diff
from app.ecosystem.loader import ModelUnreadableError
from app.errors import InvalidParameterError

router = APIRouter(tags=["diffs"], dependencies=[require("read")])
VersionName = Annotated[
    str, Path(min_length=1, max_length=64, description="a model version id or commit sha")
]
UPLOAD_BODY = {
    "required": True,
    "content": {
        JSON: {"schema": ModelFilesIn.model_json_schema()},
        MULTIPART: {
            "schema": {
                "type": "object",
                "required": [ARCHIVE_FIELD],
                "properties": {
                    ARCHIVE_FIELD: {
                        "type": "string",
                        "format": "binary",
                        "description": "the model directory as a tar.gz archive",
                    }
                },
            }
        },
    },
}


@router.get(
    "/model-versions/{old}/diff/{new}",
    summary="Changes between two model versions",
    response_model=VersionDiffOut,
)
@version_answer
async def diff(db: Connection, old: VersionName, new: VersionName) -> Any:
    """Every change from one stored version to another, with severities and affected workspaces."""
    return await version_diff(db, old, new)


@router.post(
    "/validate",
    summary="Validate a model without storing it",
    response_model=ValidationOut,
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses={
        413: {"description": "the body, or the archive's files, are larger than allowed"},
        415: {"description": "the body is neither JSON nor multipart/form-data"},
        422: {"description": "no model files, a malformed body, or an unsafe or corrupt archive"},
    },
)
async def validate(upload: Annotated[ModelUpload, Depends(model_upload)], db: Connection) -> Any:
    """Problems of an uploaded model and its changes against the active version; stores nothing."""
    # the upload is read before a pooled connection is taken (a slow client holds none)
    try:
        return await validation_report(db, upload.files, upload.limits)
    except ModelUnreadableError as error:
        raise InvalidParameterError(upload.parameter, str(error)) from error
