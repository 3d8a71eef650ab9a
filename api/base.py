"""Base classes for every API view: they all accept Idempotency-Key on POST."""

from rest_framework import generics, views, viewsets

from api.idempotency import IdempotencyMixin


class APIView(IdempotencyMixin, views.APIView):
    pass


class GenericAPIView(IdempotencyMixin, generics.GenericAPIView):
    pass


class GenericViewSet(IdempotencyMixin, viewsets.GenericViewSet):
    pass


class ModelViewSet(IdempotencyMixin, viewsets.ModelViewSet):
    pass


class ReadOnlyModelViewSet(IdempotencyMixin, viewsets.ReadOnlyModelViewSet):
    pass
