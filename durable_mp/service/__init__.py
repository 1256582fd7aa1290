"""How the SDK talks to the durable execution service: the client interface and its implementations."""

from durable_mp.service.client import DurableServiceClient, ServiceError

__all__ = ["DurableServiceClient", "ServiceError"]
