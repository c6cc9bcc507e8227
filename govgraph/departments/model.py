"""The department declaration: what one part of government holds and how it joins the citizen.

A declaration is plain data (plus a few small functions over plain records): it imports
nothing from the API layer. ``schema/`` and ``resolvers/`` read declarations to build the
``Citizen`` fields, the cross-department views and the access policy; linkage reads the
identity mapping; configuration checks read all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from govgraph.departments.identifiers import Identifier

__all__ = [
    "VIEWS",
    "VIEW_TYPES",
    "AccessPolicy",
    "CitizenField",
    "Department",
    "EnumType",
    "FieldSpec",
    "IdentityMapping",
    "Item",
    "ItemRule",
    "Level",
    "RecordType",
    "SavedTable",
    "StatisticsCondition",
    "StatisticsDimension",
    "StatisticsGrouping",
    "StatisticsMeasure",
    "StatisticsSpec",
    "WriteCommand",
    "camel",
]

Level = Literal["central", "local", "other"]
"""Which tier of government a department belongs to."""

VIEWS = ("obligations", "entitlements", "documents", "tasks")
"""The cross-department views a department's items can join."""

VIEW_TYPES: dict[str, str] = {
    "obligations": "Obligation",
    "entitlements": "Entitlement",
    "documents": "Document",
    "tasks": "Task",
}
"""The schema's object type of each view's items."""


def camel(name: str) -> str:
    """A snake_case field name as the schema spells it (``driving_licence`` ->
    ``drivingLicence``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True, slots=True)
class IdentityMapping:
    """Where a record's identity fields are, as dotted paths into the record.

    A path is ``a.b.c``; a segment ending in ``[]`` walks every element of a list
    (``vehicles[].vrm``). ``forenames`` holds given and middle names in one value; use it or
    ``given_name`` (and ``middle_names``).
    """

    key: str
    """The identifier the record's key is (an :data:`identifiers` name, e.g. ``nino``):
    records of every department whose key is the same identifier are one person's for sure."""
    surname: str | None = None
    given_name: str | None = None
    middle_names: str | None = None
    forenames: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    postcode: str | None = None
    address_lines: str | None = None
    town: str | None = None
    identifiers: Mapping[str, str] = field(default_factory=dict)
    """Other identifiers the record carries, by identifier name, as paths."""
    attach_by: str | None = None
    """Link through an identifier another department's records carry (e.g. ``vrm``) instead of
    matching the person: the record joins the citizen holding that identifier when the
    surname or postcode agree, else it waits for a caseworker."""
    trust: int = 100
    """Rank of this department's identity for a citizen's display profile (lowest first)."""

    def paths(self) -> dict[str, str]:
        """Every identity field that is mapped, by field name, with its path."""
        named = {
            "surname": self.surname,
            "given_name": self.given_name,
            "middle_names": self.middle_names,
            "forenames": self.forenames,
            "date_of_birth": self.date_of_birth,
            "sex": self.sex,
            "postcode": self.postcode,
            "address_lines": self.address_lines,
            "town": self.town,
        }
        out = {k: v for k, v in named.items() if v}
        out.update({f"identifiers.{k}": v for k, v in self.identifiers.items()})
        return out


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a record type in the schema.

    ``type`` is ``str``, ``int``, ``bool``, ``date``, ``datetime``, ``money``, ``address`` or
    the name of a record or enum type the department declares; ``[T]`` is a list of ``T``; a
    trailing ``?`` makes the field nullable.
    """

    name: str
    """Field name in snake_case (``due_date`` is ``dueDate`` in the schema)."""
    type: str
    description: str
    deprecation: str = ""
    """Why the field is deprecated and what to use instead (a field is never removed, so the
    schema stays non-breaking); empty while it is current."""


@dataclass(frozen=True, slots=True)
class RecordType:
    """A GraphQL object type the department's records are shown as."""

    name: str
    description: str
    fields: tuple[FieldSpec, ...]
    node_key: str | None = None
    """A field whose value, with the citizen, identifies the object: the type then has an
    opaque ``id`` usable with ``node(id:)``."""


@dataclass(frozen=True, slots=True)
class EnumType:
    """A GraphQL enum the department's records use: (value, description) pairs."""

    name: str
    description: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CitizenField:
    """A field of ``Citizen`` the department serves from its mapped records."""

    name: str
    """Field name in snake_case."""
    type: str
    """The record type's name."""
    description: str
    many: bool = True
    """A list of records (``True``) or at most one."""
    select: Callable[[list[dict[str, Any]], date], Any] | None = None
    """From the citizen's mapped records (and today) to the field's value(s); by default all
    of them (``many``) or the first one."""


@dataclass(frozen=True, slots=True)
class Item:
    """One entry a record contributes to a cross-department view."""

    reference: str
    description: str
    """For tasks, the short instruction shown to the citizen."""
    amount: Decimal | None = None
    date: date | None = None
    """Due date (obligations, tasks), expected date (entitlements) or expiry (documents)."""


@dataclass(frozen=True, slots=True)
class ItemRule:
    """How a department's mapped records contribute to one view, as items of one kind."""

    view: str
    """One of :data:`VIEWS`."""
    kind: str
    """The item kind's enum value, e.g. ``COUNCIL_TAX``."""
    kind_description: str
    produce: Callable[[Mapping[str, Any], date], Iterable[Item]]
    """From one mapped record (and today) to its items in the view."""
    field: str = ""
    """Apply ``produce`` to what this ``Citizen`` field shows (e.g. only the current passport)
    instead of to every record."""
    action: tuple[str, str] | None = None
    """For tasks done through this API: the ``Mutation`` field that does one and its argument
    naming the target (a path for input objects, e.g. ``input.passportNumber``); the item's
    reference is the value to give it."""


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """The field group guarding the department's data, and who may read it."""

    group: str
    """The field group's name (recorded in the access ledger)."""
    confidence: Literal["P0", "P1", "P2", "P3", "P4"] = "P2"
    """Lowest identity confidence a token needs to read the group."""
    roles: frozenset[str] = frozenset({"citizen", "caseworker"})
    """Roles that may read it: citizens their own records, caseworkers with a stated purpose;
    analysts never read a person's records."""


StatisticsGrouping = Literal["value", "month", "area"]
"""How a statistics field groups: by its value, the month of a date, or a postcode's area."""


@dataclass(frozen=True, slots=True)
class StatisticsDimension:
    """A breakdown analysts may ask for (``department.name`` in a table request).

    Its categories are a closed, public list: ``values`` for ``by="value"``, the request's
    month range for ``by="month"``, the configured postcode areas for ``by="area"``. A record
    whose value is outside the list counts as ``OTHER``, so no category is ever revealed by
    the data itself.
    """

    name: str
    description: str
    field: str
    """A readable field of the source's aggregate mapping, or a key of ``StatisticsSpec.read``."""
    by: StatisticsGrouping = "value"
    values: tuple[str, ...] = ()
    """The published categories (``by="value"``)."""


@dataclass(frozen=True, slots=True)
class StatisticsCondition:
    """A condition on a department's records that defines a population
    (``department.name`` in a table request): the person has at least one such record."""

    name: str
    description: str
    field: str
    values: tuple[str, ...] = ()
    """Records whose ``field`` is one of these (readable values); fixed by the declaration."""
    choices: tuple[str, ...] = ()
    """The analyst picks one or more of these (the request's ``values``)."""
    months_ahead: bool = False
    """``field`` is a date; the analyst gives ``months`` N: dates from the start of this month
    to the end of the month N-1 months ahead."""
    also: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Further fixed conditions on the same record, as ``(field, values)``."""


@dataclass(frozen=True, slots=True)
class StatisticsMeasure:
    """A sum analysts may ask for per person (``department.name``): records or an amount."""

    name: str
    description: str
    field: str | None = None
    """The amount field to sum, in whole pounds; ``None`` counts records."""
    bound: int = 1
    """Most one person can add to a cell (larger totals are clamped): the measure's
    sensitivity, which sets its noise."""


@dataclass(frozen=True, slots=True)
class SavedTable:
    """A table published under its own name (``Statistics.<name>`` and ``savedTables``): a
    saved table request over the catalogue, counted with people, records and (optionally) an
    amount in every cell, released under the small-cell rules of ``docs/analysts.md``.

    Every name is a catalogue name, ``department.name``. The department of ``rows`` leads:
    its records are counted; the other departments named (by ``where`` or ``dated``) only
    narrow the population, joined through the citizen index.
    """

    name: str
    """The table's name (``snake_case``), unique across departments."""
    description: str
    rows: tuple[str, ...]
    """Dimensions of the rows, all of one department (the lead)."""
    column: str | None = None
    """Dimension of the columns, of the lead department."""
    where: tuple[str, ...] = ()
    """Fixed conditions (taking neither values nor months) every person counted meets."""
    amount: str | None = None
    """A readable amount field of the lead department's records, summed per cell in pounds."""
    dated: tuple[str, ...] = ()
    """Dimensions or conditions (over a date) the filter's month range applies to: a
    department's record is in the range when any of its named dates is."""
    placed: tuple[str, ...] = ()
    """Dimensions (by postcode area) the filter's postcode areas apply to."""
    window: int | None = None
    """Without a month range in the filter, the range is this month and the ``window - 1``
    months after it."""


@dataclass(frozen=True, slots=True)
class StatisticsSpec:
    """What analysts may aggregate: dimensions to group by, conditions and measures.

    ``dimensions`` and ``measures`` name them in words (for documentation);
    ``breakdowns``, ``conditions`` and ``sums`` are what the table builder accepts.
    """

    dimensions: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    breakdowns: tuple[StatisticsDimension, ...] = ()
    conditions: tuple[StatisticsCondition, ...] = ()
    sums: tuple[StatisticsMeasure, ...] = ()
    read: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    """For sources read in one full pass (a batch file, a service that cannot aggregate):
    from one raw record to its readable fields. ``None``: the source selects keys itself
    (``distinct_keys`` and ``aggregate`` in its own query language)."""
    reads: tuple[str, ...] = ()
    """The raw record fields (dotted paths) ``read`` looks at, when it looks at no others: a
    source read in pages by position then sends only these (the rest is never decoded).
    Empty: ``read`` gets whole records."""
    collection: str | None = None
    """The source's collection holding these records, when it has several."""
    key_field: str = ""
    """The readable field holding the record's key (sources that aggregate themselves)."""
    max_values: int = 3
    """Most categories of one breakdown a person counts in (someone with more claims counts in
    the first ones only): bounds each person's contribution, and so the noise."""
    tables: tuple[SavedTable, ...] = ()
    """Tables this department publishes under a name (saved table requests)."""


@dataclass(frozen=True, slots=True)
class WriteCommand:
    """A write the department's source accepts."""

    name: str
    """The connector command, e.g. ``change_address``."""
    description: str
    address_change: bool = False
    """Whether a citizen's change of address is delivered to the department this way."""
    key_field: str = ""
    """Payload field that carries the citizen's key (a list of keys when ``per`` is set)."""
    per: str = ""
    """A record field to send one delivery per distinct value of (e.g. the issuing council),
    with all the citizen's keys; one delivery per key when empty."""
    per_field: str = ""
    """Payload field that carries the ``per`` value."""
    receiver: str = ""
    """How messages to the citizen name whoever receives it (e.g. ``the benefits office``);
    the ``per_field`` value when there is one, else the department's display name."""


@dataclass(frozen=True, slots=True)
class Department:
    """One department: who it is, where its records are and how they join the citizen."""

    id: str
    """Short identifier, lower case (``[a-z][a-z0-9_]*``)."""
    name: str
    """Display name, e.g. ``Millbrook Council Tax``."""
    description: str
    """One sentence shown in the ``Department`` enum's documentation."""
    level: Level
    record_key: str
    """What the source's records are keyed by, in words (e.g. ``council tax account number``)."""
    source: str = ""
    """The configured source (``[sources.NAME]``) that serves it; the id when empty."""
    identity: IdentityMapping | None = None
    """How to find the person in a record; ``None`` leaves the department unlinked (named in
    every linkage summary)."""
    access: AccessPolicy | None = None
    """The field group; ``None`` gives the default policy: a group named after the id, P2."""
    types: tuple[RecordType | EnumType, ...] = ()
    fields: tuple[CitizenField, ...] = ()
    record: Callable[[Mapping[str, Any], date], Mapping[str, Any]] | None = None
    """From one raw source record (and today) to the plain values of the first field's
    record type; the identity of records when unset."""
    items: tuple[ItemRule, ...] = ()
    record_fields: tuple[str, ...] = ()
    """Top-level fields of the source's records (the identity mapping is checked against
    them; unchecked when empty)."""
    identifiers: tuple[Identifier, ...] = ()
    """Identifiers of the department's own, beyond the built-in ones."""
    statistics: StatisticsSpec = field(default_factory=StatisticsSpec)
    writes: tuple[WriteCommand, ...] = ()
    cost: int = 5
    """Cost weight of one read of the source in the operation-cost estimate."""
    label: str = ""
    """How the citizen app names the department to the citizen (e.g. ``Tax``); the display
    name when empty."""
    builtin_fields: tuple[str, ...] = ()
    """``Citizen`` fields the gateway serves for the department from its write commands
    rather than from ``fields`` (e.g. ``applications``, from the renewal command's records)."""

    @property
    def source_name(self) -> str:
        """The source serving the department."""
        return self.source or self.id

    @property
    def enum_value(self) -> str:
        """The department's value in the ``Department`` enum."""
        return self.id.upper()

    @property
    def policy(self) -> AccessPolicy:
        """The declared access policy, or the default one."""
        return self.access or AccessPolicy(group=self.id)

    @property
    def short_name(self) -> str:
        """The citizen app's name for the department."""
        return self.label or self.name

    @property
    def citizen_fields(self) -> tuple[str, ...]:
        """Every ``Citizen`` field (snake_case) the department serves."""
        return (*self.builtin_fields, *(f.name for f in self.fields))

    @property
    def node_types(self) -> tuple[str, ...]:
        """Every object type of the department that ``node(id:)`` can fetch."""
        return tuple(t.name for t in self.types if isinstance(t, RecordType) and t.node_key)

    def item_kinds(self) -> list[tuple[str, str, str]]:
        """(view, kind, description) of every item kind the department contributes."""
        return [(r.view, r.kind, r.kind_description) for r in self.items]
