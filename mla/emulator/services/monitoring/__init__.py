"""SageMaker Model Monitor in local mode: the ``sagemaker-model-monitor-analyzer`` image (baselining and monitoring
as processing jobs), monitoring job definitions, schedules and their executions. See docs/local-backend-monitoring.md.
"""

from ..sagemaker.images import register_processing_image
from . import job_definitions, schedules  # noqa: F401  (importing registers the handlers)

register_processing_image("sagemaker-model-monitor-analyzer", f"{__name__}.analyzer")
