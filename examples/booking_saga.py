"""A booking saga: reserve a flight, a hotel and a car; the car fails, so the hotel and the flight are
cancelled (in that order, each exactly once), and the trip ends "cancelled".

    durable-mp run examples/booking_saga.py:handler

Pass `--input '{"cars": 1}'` to find a car and book the whole trip. Every reservation has a timeout
(an attempt that takes longer fails with StepTimeoutError) and retries only what may succeed the next
time: a timeout or a connection error (a `retry_if` predicate). "No car available" is not retried.
"""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext, SagaError, StepContext, durable_execution, durable_step
from durable_mp.config import Duration, JitterStrategy, StepConfig
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy

RESERVATION = StepConfig(
    timeout=Duration.from_seconds(10),
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_seconds(1),
            jitter_strategy=JitterStrategy.NONE,
            retry_if=lambda error: isinstance(error, (TimeoutError, ConnectionError)),
        )
    ),
)


class NoCarAvailable(Exception):
    """The rental desk has no car for these dates."""


@durable_step
def reserve_flight(step: StepContext, trip: str) -> dict[str, str]:
    return {"kind": "flight", "id": f"FL-{trip}"}


@durable_step
def reserve_hotel(step: StepContext, trip: str) -> dict[str, str]:
    return {"kind": "hotel", "id": f"HT-{trip}"}


@durable_step
def reserve_car(step: StepContext, trip: str, cars: int) -> dict[str, str]:
    if cars < 1:
        raise NoCarAvailable(f"no car available for trip {trip}")
    return {"kind": "car", "id": f"CR-{trip}"}


def cancel(step: StepContext, booking: dict[str, str]) -> str:
    """The compensation of every reservation: called with the reservation's result."""
    step.logger.info(f"cancelling {booking['kind']} {booking['id']}")
    return f"cancelled {booking['id']}"


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    trip = str(event.get("trip", "T-1"))
    try:
        with context.saga():
            flight = context.step_with_compensation(reserve_flight(trip), cancel, "flight", RESERVATION)
            hotel = context.step_with_compensation(reserve_hotel(trip), cancel, "hotel", RESERVATION)
            car = context.step_with_compensation(
                reserve_car(trip, int(event.get("cars", 0))), cancel, "car", RESERVATION
            )
    except SagaError as error:
        return {
            "trip": trip,
            "status": "cancelled",
            "reason": str(error.__cause__),
            "compensated": error.outcome.succeeded,
            "compensations_failed": [f.name for f in error.outcome.failed],
        }
    return {"trip": trip, "status": "booked", "bookings": [flight["id"], hotel["id"], car["id"]]}
