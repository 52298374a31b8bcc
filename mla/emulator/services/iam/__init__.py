"""IAM policy simulation (``SimulateCustomPolicy``, ``SimulatePrincipalPolicy``), which moto lacks.

IAM speaks the query protocol, which moto's IAM responses already parse and serialize from botocore's model, so
the two operations are added to moto's IAM response class instead of the local layer's JSON routes.
"""

from . import api  # noqa: F401  (adds the operations to moto's IAM responses)
