"""AWS-provided processing images the local backend runs as Python modules.

A processing job whose ``AppSpecification`` names one of these images and no ``ContainerEntrypoint`` runs
``python -m <module>`` in the job's folder, with ``MLA_OPT_ML`` naming where the job's ``/opt/ml`` tree is, the
way the real image runs its own analyzer on start (e.g. Model Monitor's ``sagemaker-model-monitor-analyzer``,
Clarify's ``sagemaker-clarify-processing``). The service module that implements an image registers it.
"""

from __future__ import annotations

PROCESSING_IMAGES: dict[str, str] = {}  # ECR repository name -> module run as the image's entrypoint


def register_processing_image(repository: str, module: str) -> None:
    PROCESSING_IMAGES[repository] = module


def repository_of(image_uri: str) -> str:
    """``123.dkr.ecr.us-east-1.amazonaws.com/name:tag`` (or ``@sha256:...``) -> ``name``."""
    path = image_uri.split("/", 1)[-1]
    return path.split("@", 1)[0].split(":", 1)[0]


def module_for(image_uri: str) -> str | None:
    return PROCESSING_IMAGES.get(repository_of(image_uri))
