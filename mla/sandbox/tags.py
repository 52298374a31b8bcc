"""The course's tags, and how to put them on any create call whatever shape its service gives tags."""

from __future__ import annotations

import datetime as dt
import re

RUN_ID = "mla:run-id"
SESSION = "mla:session"  # the `mla lab` session a kernel belongs to; equals the run id under `mla run`
NOTEBOOK = "mla:notebook"
COURSE = "mla:course"
OWNER = "mla:owner"
CREATED_AT = "mla:created-at"
EXPIRES_AT = "mla:expires-at"
SHARED = "mla:shared"  # on the course bucket only: teardown empties a run's prefix in it, never deletes it
COURSE_NAME = "mla-course"

# Create calls that make part of another resource, not a resource of their own: nothing to tag.
PARTS = {("s3", "CreateSession"), ("s3", "CreateMultipartUpload"), ("logs", "CreateLogStream")}
_UNSAFE = re.compile(r"[^\w.:/=+\-@ ]")  # keeps values inside the tag character set SageMaker accepts


def course_tags(run_id: str, notebook: str, owner: str, expiry_hours: float,
                now: dt.datetime | None = None, session: str | None = None) -> dict[str, str]:
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    expires = now + dt.timedelta(hours=expiry_hours)
    values = {RUN_ID: run_id, SESSION: session or run_id, NOTEBOOK: notebook or "interactive", COURSE: COURSE_NAME, OWNER: owner,
              CREATED_AT: _iso(now), EXPIRES_AT: _iso(expires)}
    return {key: _UNSAFE.sub("-", value)[:256] for key, value in values.items()}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def is_create(service: str, operation: str) -> bool:
    return (operation.startswith("Create") and not operation.startswith("CreatePresigned")
            and (service, operation) not in PARTS)


def add_tags(operation_model, params: dict, tags: dict[str, str]) -> bool:
    """Merge ``tags`` into ``params`` where the operation's input shape takes tags; False if it takes none."""
    shape = operation_model.input_shape
    if shape is None:
        return False
    for container, container_shape in _tag_holders(shape, params):
        for name in ("Tags", "tags"):
            if name in container_shape.members:
                container[name] = _merged(container_shape.members[name], container.get(name), tags)
                return True
    return False


def _tag_holders(shape, params):
    yield params, shape
    # S3 CreateBucket takes its tags inside CreateBucketConfiguration
    for name, member in shape.members.items():
        if member.type_name == "structure" and "Tags" in member.members and name.endswith("Configuration"):
            yield params.setdefault(name, {}), member


def _merged(shape, existing, tags: dict[str, str]):
    if shape.type_name == "map":
        return {**(existing or {}), **tags}
    member = shape.member  # a list of {Key, Value} structures; some services spell them key/value
    key_name = next(n for n in member.members if n.lower() == "key")
    value_name = next(n for n in member.members if n.lower() == "value")
    kept = [t for t in (existing or []) if t.get(key_name) not in tags]
    return kept + [{key_name: k, value_name: v} for k, v in tags.items()]
