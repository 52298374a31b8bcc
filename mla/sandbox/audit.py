"""Leftover audit: SageMaker resources created during a run window without the course's run-id tag.

Teardown finds resources by tag; this catches what escaped the tag hook (a client made before the lab, a call
the hook could not tag), so a run that leaves one behind is reported failed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from . import tags
from .listing import NO_RETRIES, SAGEMAKER


@dataclass
class AuditReport:
    untagged: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # lists the account would not answer: state unknown


def untagged_sagemaker(session, region: str, since: dt.datetime) -> AuditReport:
    client = session.client("sagemaker", region_name=region, config=NO_RETRIES)
    report = AuditReport()
    for listing in SAGEMAKER:
        try:
            for item in listing.items(client, since=since):
                found = client.list_tags(ResourceArn=item[listing.arn_key]).get("Tags", [])
                if not any(tag["Key"] == tags.RUN_ID for tag in found):
                    report.untagged.append(f"{item[listing.arn_key]} was created during the run without the "
                                           f"{tags.RUN_ID} tag")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            report.unchecked.append(f"{listing.operation} in {region}: {code}")
    return report
