"""Service modules whose handlers replace what moto fakes. Importing one registers its handlers.

They are imported on the first request signed for their service, so starting the emulator (and so the lab
bootstrap) stays fast however heavy a service's libraries are.
"""

import importlib

# module -> the SigV4 signing name of the requests it answers
SERVICE_MODULES: dict[str, str] = {"sagemaker": "sagemaker", "feature_store": "sagemaker", "bedrock": "bedrock",
                                   "serving": "sagemaker", "model_registry": "sagemaker",
                                   "feature_store_runtime": "sagemaker",
                                   "clarify": "sagemaker",
                                   "monitoring": "sagemaker",
                                   "pipelines": "sagemaker",
                                   "iam": "iam"}


def load_for(signing_name: str) -> None:
    for name, signs_as in SERVICE_MODULES.items():
        if signs_as == signing_name:
            importlib.import_module(f"{__name__}.{name}")


def load_all() -> None:
    for name in SERVICE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
