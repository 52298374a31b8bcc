"""SageMaker Clarify for the local backend: bias metrics, Kernel SHAP and the Clarify processing image."""
