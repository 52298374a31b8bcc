"""Shared by the feature store tests: the customers group's definitions and a record builder."""

FEATURES = [{"FeatureName": "customer_id", "FeatureType": "String"},
            {"FeatureName": "event_time", "FeatureType": "String"},
            {"FeatureName": "orders_30d", "FeatureType": "Integral"},
            {"FeatureName": "spend_30d", "FeatureType": "Fractional"}]


def record(customer, when, orders=None, spend=None):
    values = {"customer_id": customer, "event_time": when, "orders_30d": orders, "spend_30d": spend}
    return [{"FeatureName": k, "ValueAsString": str(v)} for k, v in values.items() if v is not None]
