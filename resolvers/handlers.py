"""The work behind each schema field, by the names :class:`schema.handlers.Handlers` gives
them: the composition root builds the schema with this module
(``build_schema(handlers=resolvers.handlers)``)."""

from __future__ import annotations

from resolvers.access import access_log
from resolvers.address_change import address_change, change_address, reported_address
from resolvers.declared import citizen_field
from resolvers.deliveries import cancel as cancel_delivery
from resolvers.deliveries import listed as failed_deliveries
from resolvers.deliveries import retry as retry_delivery
from resolvers.linkage import citizen_links, resolve_review, review_page
from resolvers.payments import pay_penalty_notice
from resolvers.query import citizen_id_from_global, ensure_citizen, ensure_me, resolve_node
from resolvers.query import page as citizens_page
from resolvers.renewals import applications, apply_for_renewal
from resolvers.services import services
from resolvers.statistics import budget as privacy_budget
from resolvers.statistics import build as build_table
from resolvers.statistics import catalogue as statistics_catalogue
from resolvers.statistics import open_statistics
from resolvers.statistics import table as statistics_table
from resolvers.views import documents, entitlements, obligations, tasks

__all__ = [
    "access_log",
    "address_change",
    "applications",
    "apply_for_renewal",
    "build_table",
    "cancel_delivery",
    "change_address",
    "citizen_field",
    "citizen_id_from_global",
    "citizen_links",
    "citizens_page",
    "documents",
    "ensure_citizen",
    "ensure_me",
    "entitlements",
    "failed_deliveries",
    "obligations",
    "open_statistics",
    "pay_penalty_notice",
    "privacy_budget",
    "reported_address",
    "resolve_node",
    "resolve_review",
    "retry_delivery",
    "review_page",
    "services",
    "statistics_catalogue",
    "statistics_table",
    "tasks",
]
