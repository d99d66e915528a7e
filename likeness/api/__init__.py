"""The REST API under /api/v1/: thin views and serializers over the apps' services and selectors."""
