"""SageMaker hosting that really serves in local mode: models, endpoint configurations and endpoints
(real-time, serverless, asynchronous, multi-model, inference components), InvokeEndpoint with variants and shadow variants,
blue/green deployments with auto-rollback, autoscaling, data capture and endpoint metrics.
Everything else falls through to moto (or to the training layer in ``services/sagemaker``)."""

from . import asynchronous, endpoints, inference_components, model_api, runtime, tags  # noqa: F401  (importing registers the handlers)
