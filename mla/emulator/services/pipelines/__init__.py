"""SageMaker Pipelines that really execute on the local backend: ``CreatePipeline`` with the definition SDK v3's
``sagemaker.mlops.workflow`` produces, then ``StartPipelineExecution`` runs its steps in dependency order on the
local training, processing, tuning, transform and registry layers. See docs/local-backend-pipelines.md."""

from . import api  # noqa: F401  (importing registers the handlers)
