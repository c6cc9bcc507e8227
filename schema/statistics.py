"""Statistics for analysts: the types of tables, cells, requests and budgets.

Table-builder answers carry differential-privacy noise; named tables' cells may be withheld
(``suppressed``). ``Query.statistics`` and its fields are answered by the schema's handlers
(``resolvers/statistics.py``); the methods are described in ``docs/analysts.md``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from govgraph.statistics import PublishedCell, PublishedTable
from govgraph.statistics import StatisticsFilter as AppliedFilter
from govgraph.statistics.requests import ConditionRequest, TableRequest
from schema.handlers import handlers

__all__ = [
    "AmountCell",
    "BuiltTable",
    "CountCell",
    "PrivacyBudget",
    "Statistics",
    "StatisticsCell",
    "StatisticsFilter",
    "StatisticsTable",
    "StatisticsVariable",
    "TableCell",
    "TableCondition",
    "TableRequestInput",
    "resolve_statistics",
]

DEPRECATED = (
    "Use `table`: a named table withholds small cells, which does not survive differencing "
    "of filtered answers (see docs/analysts.md)."
)


@strawberry.type(description="A count that is withheld when it could point at a person.")
class CountCell:
    value: int | None = strawberry.field(
        description="The count, with a small deterministic perturbation; null when suppressed."
    )
    suppressed: bool = strawberry.field(
        description="True when the count is withheld to protect privacy."
    )


@strawberry.type(description="A sum of money, in whole pounds, withheld with its cell.")
class AmountCell:
    value: Decimal | None = strawberry.field(
        description="The sum in pounds, rounded and perturbed by at most a few per cent; null "
        "when suppressed."
    )
    suppressed: bool = strawberry.field(
        description="True when the sum is withheld to protect privacy."
    )


@strawberry.type(description="One cell of a statistics table: its labels and its figures.")
class StatisticsCell:
    row: list[str] = strawberry.field(
        description="Labels of the row dimensions, in order; empty for a column total or the "
        "grand total."
    )
    column: str | None = strawberry.field(
        description="Label of the column dimension; null for a row total, the grand total or a "
        "table without columns."
    )
    people: CountCell = strawberry.field(description="Distinct people behind the cell.")
    records: CountCell = strawberry.field(
        description="Records behind the cell (claims, notices, passports, accounts)."
    )
    amount: AmountCell | None = strawberry.field(
        description="Sum of money in the cell; null for tables that count without amounts."
    )
    suppressed: bool = strawberry.field(
        description="True when the cell's figures are withheld to protect privacy."
    )

    @classmethod
    def of(
        cls, key: tuple[tuple[str, ...] | None, str | None], cell: PublishedCell, money: bool
    ) -> StatisticsCell:
        return cls(
            row=list(key[0] or ()),
            column=key[1],
            people=CountCell(value=cell.people, suppressed=cell.suppressed),
            records=CountCell(value=cell.records, suppressed=cell.suppressed),
            amount=AmountCell(value=cell.amount, suppressed=cell.suppressed) if money else None,
            suppressed=cell.suppressed,
        )


_EMPTY = PublishedCell(0, 0, Decimal("0"), False)


@strawberry.type(description="A table of published cells, with its row and column totals.")
class StatisticsTable:
    name: str = strawberry.field(description="The table's name, e.g. `benefit_claims`.")
    row_dimensions: list[str] = strawberry.field(
        description="What each row label is, in order (e.g. `benefit`, or `council` and "
        "`contravention`)."
    )
    column_dimension: str | None = strawberry.field(
        description="What the column label is (e.g. `status` or `month`); null for one-way tables."
    )
    cells: list[StatisticsCell] = strawberry.field(
        description="Interior cells: one per row for one-way tables, one per row and column "
        "otherwise. Cells of no one are left out."
    )
    row_totals: list[StatisticsCell] = strawberry.field(
        description="For two-way tables, each row's total across columns (empty otherwise)."
    )
    column_totals: list[StatisticsCell] = strawberry.field(
        description="For two-way tables, each column's total across rows (empty otherwise)."
    )
    total: StatisticsCell = strawberry.field(description="The grand total of the table.")

    @classmethod
    def of(cls, table: PublishedTable) -> StatisticsTable:
        money = table.has_amount
        cells = table.cells
        two_way = table.col_dim is not None
        interior: list[StatisticsCell] = []
        row_totals: list[StatisticsCell] = []
        column_totals: list[StatisticsCell] = []
        for key in sorted(cells, key=lambda k: (k[0] or (), k[1] or "")):
            row, col = key
            if row is None:
                if col is not None:
                    column_totals.append(StatisticsCell.of(key, cells[key], money))
            elif col is None:
                (row_totals if two_way else interior).append(
                    StatisticsCell.of(key, cells[key], money)
                )
            else:
                interior.append(StatisticsCell.of(key, cells[key], money))
        total = StatisticsCell.of((None, None), cells.get((None, None), _EMPTY), money)
        return cls(
            name=table.name,
            row_dimensions=list(table.row_dims),
            column_dimension=table.col_dim,
            cells=interior,
            row_totals=row_totals,
            column_totals=column_totals,
            total=total,
        )


@strawberry.input(description="Which part of the population statistics describe.")
class StatisticsFilter:
    from_month: str | None = strawberry.field(
        default=None,
        description="First month included, as `YYYY-MM` (whole months only). Applies to each "
        "table's own date: a claim's start, a notice's issue, a passport's expiry; tax balances "
        "have no date and ignore it.",
    )
    to_month: str | None = strawberry.field(
        default=None, description="Last month included, as `YYYY-MM`."
    )
    postcode_areas: list[str] | None = strawberry.field(
        default=None,
        description="Postcode areas to include (the leading letters, e.g. `SW`, `B`); all when "
        "null.",
    )


@strawberry.input(
    description="One condition of a table request: the person has a record meeting it."
)
class TableCondition:
    condition: str = strawberry.field(
        description="`department.name` of a declared condition (see `Statistics.catalogue`)."
    )
    values: list[str] | None = strawberry.field(
        default=None, description="For conditions that take them: the values chosen."
    )
    months: int | None = strawberry.field(
        default=None, description="For conditions over the months ahead: how many (1 to 24)."
    )


@strawberry.input(
    name="TableRequest",
    description="A table: a measure over the people meeting every condition (joined across "
    "departments through the citizen index), by up to three dimensions.",
)
class TableRequestInput:
    measure: str = strawberry.field(
        default="people",
        description="`people`, or `department.name` of a declared measure (records or an amount "
        "summed per person, clamped to the measure's bound).",
    )
    by: list[str] = strawberry.field(
        default_factory=list,
        description="Up to three dimensions: `age_band`, `postcode_area`, `council`, `region` "
        "or a department's `department.name`.",
    )
    where: list[TableCondition] = strawberry.field(
        default_factory=list, description="Conditions every person counted meets (all of them)."
    )
    from_month: str | None = strawberry.field(
        default=None, description="First month of a month dimension's range, `YYYY-MM`."
    )
    to_month: str | None = strawberry.field(
        default=None, description="Last month of a month dimension's range, `YYYY-MM`."
    )

    def request(self) -> TableRequest:
        return TableRequest(
            by=tuple(self.by),
            where=tuple(
                ConditionRequest(c.condition, tuple(c.values or ()), c.months) for c in self.where
            ),
            measure=self.measure,
            from_month=self.from_month,
            to_month=self.to_month,
        )


@strawberry.type(description="An analyst's privacy budget (differential privacy's epsilon).")
class PrivacyBudget:
    total: float = strawberry.field(description="The privacy loss the analyst may spend in all.")
    spent: float = strawberry.field(description="The privacy loss spent so far.")
    remaining: float = strawberry.field(description="What is left to spend.")
    table_cost: float = strawberry.field(
        description="What one newly published table costs (a table already published today "
        "costs nothing)."
    )

    @classmethod
    def of(cls, found: tuple[float, float, float]) -> PrivacyBudget:
        total, spent, cost = found
        return cls(total=total, spent=spent, remaining=max(0.0, total - spent), table_cost=cost)


@strawberry.type(description="One cell of a built table: its categories and its noisy value.")
class TableCell:
    labels: list[str] = strawberry.field(
        description="The cell's category in each dimension, in the request's order."
    )
    value: int = strawberry.field(
        description="The measure with random noise (see `margin95`), never below 0."
    )


@strawberry.type(
    description="A table built under differential privacy: every cell of every category is "
    "published with independent random noise, so no answer, nor any combination of answers "
    "within the budget, reveals whether one person is in the data."
)
class BuiltTable:
    dimensions: list[str] = strawberry.field(description="The request's dimensions, in order.")
    measure: str = strawberry.field(description="What the cells count or sum.")
    cells: list[TableCell] = strawberry.field(
        description="Every combination of categories, zeros included."
    )
    total: int = strawberry.field(description="The sum of the cells' noisy values.")
    epsilon: float = strawberry.field(description="The privacy loss of this table.")
    noise_scale: float = strawberry.field(
        description="Scale of each cell's discrete Laplace noise."
    )
    margin95: int = strawberry.field(
        description="95% of cells are within this many units of the true value."
    )
    published_on: str = strawberry.field(
        description="The day the table was published; asking again that day returns the "
        "same table at no cost."
    )
    charged: float = strawberry.field(
        description="What this answer cost the analyst's budget (0 for a table already "
        "published today)."
    )

    @classmethod
    def of(cls, answer: dict[str, object]) -> BuiltTable:
        cells = answer["cells"]
        assert isinstance(cells, list)
        return cls(
            dimensions=list(answer["dimensions"]),  # type: ignore[call-overload]
            measure=str(answer["measure"]),
            cells=[TableCell(labels=list(c["labels"]), value=int(c["value"])) for c in cells],
            total=int(answer["total"]),  # type: ignore[call-overload]
            epsilon=float(answer["epsilon"]),  # type: ignore[arg-type]
            noise_scale=float(answer["scale"]),  # type: ignore[arg-type]
            margin95=int(answer["margin95"]),  # type: ignore[call-overload]
            published_on=str(answer["publishedOn"]),
            charged=float(answer["charged"]),  # type: ignore[arg-type]
        )


@strawberry.type(description="A dimension, condition or measure the table builder accepts.")
class StatisticsVariable:
    name: str = strawberry.field(description="How a table request names it.")
    kind: str = strawberry.field(description="`dimension`, `condition` or `measure`.")
    description: str = strawberry.field(description="What it means.")
    values: list[str] = strawberry.field(
        description="Its categories (dimensions by value) or the values it takes (conditions)."
    )


async def _table(info: Info, name: str, flt: AppliedFilter) -> StatisticsTable:
    return StatisticsTable.of(await handlers(info).statistics_table(info.context, name, flt))


@strawberry.type(
    description="Counts and sums across departments: tables built to a request under "
    "differential privacy (`table`), and the departments' named tables, whose cells describing "
    "fewer people than `threshold` are suppressed."
)
class Statistics:
    threshold: int = strawberry.field(
        description="Smallest number of people a published cell may describe."
    )
    applied: strawberry.Private[AppliedFilter]

    @strawberry.field(description="First month included, if the filter gave one.")
    def from_month(self) -> str | None:
        return self.applied.from_month

    @strawberry.field(description="Last month included, if the filter gave one.")
    def to_month(self) -> str | None:
        return self.applied.to_month

    @strawberry.field(description="Postcode areas included; empty for all areas.")
    def postcode_areas(self) -> list[str]:
        return list(self.applied.postcode_areas)

    @strawberry.field(
        description="A table built to the request under differential privacy, charged to your "
        "privacy budget unless already published today. The request and purpose (never the "
        "answer) are written to the access ledger."
    )
    async def table(
        self,
        info: Info,
        request: Annotated[
            TableRequestInput, strawberry.argument(description="The table to build.")
        ],
        purpose: Annotated[
            str, strawberry.argument(description="Why the table is needed (for the ledger).")
        ],
    ) -> BuiltTable:
        return BuiltTable.of(
            await handlers(info).build_table(info.context, request.request(), purpose)
        )

    @strawberry.field(description="Your privacy budget: what is spent and what is left.")
    async def budget(self, info: Info) -> PrivacyBudget:
        return PrivacyBudget.of(await handlers(info).privacy_budget(info.context))

    @strawberry.field(
        description="Every dimension, condition and measure a table request may name, from "
        "the departments' declarations."
    )
    def catalogue(self, info: Info) -> list[StatisticsVariable]:
        return handlers(info).statistics_catalogue(info.context)

    @strawberry.field(
        description="Benefit claims by benefit and claim status: claimants, claims and the sum "
        "of award amounts. Dated by the claim's start month; placed by the claimant's postcode.",
        deprecation_reason=DEPRECATED,
    )
    async def benefit_claims(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "benefit_claims", self.applied)

    @strawberry.field(
        description="Penalty charge notices by council and contravention (rows) and month of "
        "issue (columns): vehicles, notices and the sum of charges. Placed by the keeper's "
        "postcode.",
        deprecation_reason=DEPRECATED,
    )
    async def penalty_notices(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "penalty_notices", self.applied)

    @strawberry.field(
        description="Passports by month of expiry: holders. Placed by the holder's postcode.",
        deprecation_reason=DEPRECATED,
    )
    async def passport_expiries(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "passport_expiries", self.applied)

    @strawberry.field(
        description="Taxpayers by band of tax owed: taxpayers and the sum owed. Placed by the "
        "taxpayer's postcode; the month range does not apply.",
        deprecation_reason=DEPRECATED,
    )
    async def tax_balances(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "tax_balances", self.applied)

    @strawberry.field(
        description="People with an unpaid penalty notice (open or charge certificate, issued "
        "in the month range) who also have an active benefit claim, by the postcode area of "
        "their claim. Joined across departments through the citizen index.",
        deprecation_reason=DEPRECATED,
    )
    async def unpaid_penalty_and_active_benefit(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "unpaid_penalty_and_active_benefit", self.applied)

    @strawberry.field(
        description="People whose passport expires in the month range (default: this month "
        "and the next five) and who keep a vehicle whose tax or MOT also runs out in it, by the "
        "postcode area of the passport holder. Joined through the citizen index.",
        deprecation_reason=DEPRECATED,
    )
    async def passport_and_vehicle_renewals(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "passport_and_vehicle_renewals", self.applied)


def resolve_statistics(
    info: Info,
    filter: Annotated[
        StatisticsFilter | None,
        strawberry.argument(description="Months and postcode areas to restrict to."),
    ] = None,
) -> Statistics:
    """The caller and the filter are checked here; the tables are computed when selected."""
    given = filter or StatisticsFilter()
    threshold, applied = handlers(info).open_statistics(
        info.context, given.from_month, given.to_month, given.postcode_areas
    )
    return Statistics(threshold=threshold, applied=applied)
