"""Circuit breakers of the members of a source that is a set (the databases of a ``sql`` set).

Before each connector call, :meth:`MemberBreakers.admit` asks every member's breaker whether
that member may be called: open breakers put the member in the call context's
``skip_members`` (the connector answers for it at once with ``CIRCUIT_OPEN``), half-open ones
let the call through as their trial. After the call, :meth:`MemberBreakers.observe` feeds each
called member's outcome back to its breaker.
"""

from __future__ import annotations

from dataclasses import dataclass

from govgraph.resilience.breaker import CircuitBreaker, StateListener
from govgraph.resilience.policy import BreakerSettings
from legacy_connectors.errors import CircuitOpenError, LegacyError

__all__ = ["Admission", "MemberBreakers"]


@dataclass(frozen=True, slots=True)
class Admission:
    """Which members one connector call leaves out, and which it calls as a breaker's trial."""

    skipped: frozenset[str] = frozenset()
    """Service names (``<source>/<member>``) whose breaker is open: not called."""
    trials: frozenset[str] = frozenset()
    """Service names whose half-open breaker lets this call through as a trial."""


class MemberBreakers:
    """One breaker per member of a set, by service name (``<source>/<member>``).

    A member gets its breaker the first time a call reports an error naming it; until then it
    is always called.
    """

    def __init__(
        self, source: str, settings: BreakerSettings, on_change: StateListener | None = None
    ) -> None:
        self.source = source
        self.settings = settings
        self.breakers: dict[str, CircuitBreaker] = {}
        """Breakers by service name."""
        self._on_change = on_change

    def member(self, service: str) -> str:
        """The member's configured name in a service name (``parking/x`` gives ``x``)."""
        return service.removeprefix(f"{self.source}/")

    def admit(self) -> Admission:
        """Ask each breaker about its member; take a trial slot from half-open ones."""
        skipped: set[str] = set()
        trials: set[str] = set()
        for service, breaker in self.breakers.items():
            try:
                if breaker.acquire():
                    trials.add(service)
            except CircuitOpenError:
                skipped.add(service)
        return Admission(frozenset(skipped), frozenset(trials))

    def skip_members(self, admission: Admission) -> frozenset[str]:
        """The member names to put in the call context's ``skip_members``."""
        return frozenset(self.member(service) for service in admission.skipped)

    def observe(self, failed: dict[str, LegacyError], admission: Admission) -> None:
        """Record the call's outcome for every member it called.

        ``failed`` holds one error per member that reported one; the other called members
        answered. Skipped members are left as they are.
        """
        for service, error in failed.items():
            if service in admission.skipped:
                continue
            breaker = self.breakers.get(service)
            if breaker is None:
                breaker = self.breakers[service] = CircuitBreaker(
                    service, self.settings, on_change=self._on_change
                )
            breaker.record(error, service in admission.trials)
        for service, breaker in self.breakers.items():
            if service not in failed and service not in admission.skipped:
                breaker.success(service in admission.trials)

    def release(self, admission: Admission) -> None:
        """The call ended without telling anything about its members: give back trial slots."""
        for service in admission.trials:
            self.breakers[service].release(trial=True)
