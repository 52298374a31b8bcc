"""SageMaker Clarify on the local backend: a processing job whose image is ``sagemaker-clarify-processing`` runs
:mod:`mla.clarify.processing` (bias metrics, Kernel SHAP, report), the way the Clarify container runs its analyzer.
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-parameters.html
"""

from .sagemaker.images import register_processing_image

register_processing_image("sagemaker-clarify-processing", "mla.clarify.processing")
