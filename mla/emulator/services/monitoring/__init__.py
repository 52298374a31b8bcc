"""SageMaker Model Monitor in local mode: the ``sagemaker-model-monitor-analyzer`` image (baselining and monitoring
as processing jobs), monitoring job definitions, schedules and their executions. See docs/local-backend-monitoring.md.
"""

import os

# Inside a processing job (MLA_OPT_ML set) this package only runs the analyzer: importing the API handlers there
# would pull in the whole SageMaker layer and slow every execution down.
if "MLA_OPT_ML" not in os.environ:
    from ..sagemaker.images import register_processing_image
    from . import job_definitions, schedules  # noqa: F401  (importing registers the handlers)

    register_processing_image("sagemaker-model-monitor-analyzer", f"{__name__}.analyzer")
