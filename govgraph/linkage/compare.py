"""Compare two identities field by field: a comparison vector of levels, or a veto.

Levels (0 is the strongest agreement):

- surname: 0 exact, 1 one edit apart (typo), 2 different;
- given name: 0 exact, 1 nickname of the same name, 2 one edit apart (a typo, a transposition,
  a keyboard slip), also from a formal or short form of the other name (``Liiz`` and
  ``Elizabeth``, ``Eichard`` and ``Rich``, ``Jooey`` and ``Joseph``), 3 swapped with a middle
  name or an initial, 4 different;
- middle names: 0 agree (or initials agree), 1 missing on one side, 2 different;
- date of birth: 0 exact, 1 day and month swapped, 2 different;
- address: 0 postcode and first line, 1 postcode, 2 postcode district, 3 different;
- licence: what a driving licence number encodes (surname, date of birth, sex) against the other
  identity: 0 all consistent, 1 date of birth and sex only, 2 inconsistent, ``None`` when neither
  side has a licence number.

- sex: 0 the same (or unknown on one side), 1 different.

A different given name (level 4) or sex is a *veto*: such a pair is never linked, whatever its
weight (twins share everything else). Vetoed pairs still count when the model is fitted.

Groups of identities (a node's variants, a cluster's records) are compared by
:func:`group_conflict`: a different sex always conflicts; two different given names conflict
unless another identity of one group is close to the other's name (a ``Douglsa`` beside a
``Douglas`` does not keep that ``Douglas`` from a ``Doug``), so one department's typo does not
keep apart records that otherwise agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rapidfuzz.distance import OSA

from govgraph.linkage.identity import Identity

__all__ = [
    "FIELDS",
    "LEVELS",
    "Pattern",
    "compare",
    "conflict",
    "group_conflict",
    "licence_level",
    "licence_surname_part",
    "one_edit",
    "vetoed",
]

FIELDS = ("surname", "given", "middle", "dob", "address", "licence", "sex")
LEVELS = (3, 5, 3, 3, 4, 3, 2)
Pattern = tuple[int, int, int, int, int, int | None, int]


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at most one substitution, insertion, deletion or adjacent
    transposition apart."""
    return abs(len(a) - len(b)) <= 1 and OSA.distance(a, b, score_cutoff=1) <= 1


def licence_surname_part(sn: str) -> str:
    """The five surname characters of a licence number (``MAC`` read as ``MC``, 9-padded)."""
    if sn.startswith("MAC"):
        sn = "MC" + sn[3:]
    return (sn[:5] + "99999")[:5]


def _licence_dob_sex(number: str) -> tuple[int, int, int, int, str] | None:
    try:
        month = int(number[6:8])
        return (
            int(number[5]),
            month % 50,
            int(number[8:10]),
            int(number[10]),
            "F" if month > 50 else "M",
        )
    except (ValueError, IndexError):
        return None


def _dob_encoded(encoded: tuple[int, int, int, int, str], dob: date) -> bool:
    decade, month, day, year, _ = encoded
    if decade != dob.year // 10 % 10 or year != dob.year % 10:
        return False
    return (month, day) in ((dob.month, dob.day), (dob.day, dob.month))


def licence_level(number: str, other: Identity) -> int:
    """How far ``other`` agrees with what the licence ``number`` encodes."""
    encoded = _licence_dob_sex(number)
    if encoded is None or other.date_of_birth is None:
        return 2
    if not _dob_encoded(encoded, other.date_of_birth) or (other.sex and other.sex != encoded[4]):
        return 2
    return 0 if licence_surname_part(other.sn) == number[:5] else 1


def _close_forms(a: Identity, b: Identity) -> bool:
    """Whether one name is one edit from a formal or short form of the other's."""
    return any(len(y) > 2 and one_edit(a.gn, y) for y in b.family if y != b.gn) or any(
        len(x) > 2 and one_edit(b.gn, x) for x in a.family if x != a.gn
    )


def _given(a: Identity, b: Identity) -> int:
    if a.gn == b.gn:
        return 0
    if a.forms & b.forms:
        return 1
    if len(a.gn) > 2 and len(b.gn) > 2 and one_edit(a.gn, b.gn):
        return 2
    if _close_forms(a, b):
        return 2
    if a.gn in b.mids or b.gn in a.mids:
        return 3
    if (len(a.gn) == 1 or len(b.gn) == 1) and a.gn[:1] == b.gn[:1]:
        return 3
    return 4


def _middle(a: Identity, b: Identity) -> int:
    if not a.mids or not b.mids:
        return 1
    x, y = a.mids[0], b.mids[0]
    if x == y or ((len(x) == 1 or len(y) == 1) and x[0] == y[0]):
        return 0
    return 2


def _dob(a: date | None, b: date | None) -> int:
    if a is None or b is None:
        return 2
    if a == b:
        return 0
    return 1 if (a.year, a.month, a.day) == (b.year, b.day, b.month) else 2


def _address(a: Identity, b: Identity) -> int:
    if a.pc and a.pc == b.pc:
        return 0 if a.line1 == b.line1 else 1
    if a.outward and a.outward == b.outward:
        return 2
    return 3


def conflict(a: Identity, b: Identity) -> bool:
    """Whether two identities have a hard conflict (what :func:`vetoed` tests on a vector)."""
    if a.sex != b.sex and a.sex and b.sex:
        return True
    return a.gn != b.gn and _given(a, b) == 4


def _close(a: Identity, b: Identity) -> bool:
    return not (a.sex and b.sex and a.sex != b.sex) and _given(a, b) <= 2


def group_conflict(left: Sequence[Identity], right: Sequence[Identity]) -> bool:
    """Whether two groups of identities may not be one person: some pair differs in sex, or has
    different given names where neither name is close to another identity of the other group."""
    for x in left:
        for y in right:
            if x.sex and y.sex and x.sex != y.sex:
                return True
            if x.gn == y.gn or _given(x, y) != 4:
                continue
            bridged = any(z is not x and _close(z, y) for z in left) or any(
                z is not y and _close(z, x) for z in right
            )
            if not bridged:
                return True
    return False


def vetoed(pattern: Pattern) -> bool:
    """Whether the pattern has a hard conflict (different given name or sex)."""
    return pattern[1] == 4 or pattern[6] == 1


def compare(a: Identity, b: Identity) -> Pattern:
    """The comparison vector of two identities."""
    sex = 1 if a.sex and b.sex and a.sex != b.sex else 0
    given = _given(a, b)
    if a.sn == b.sn:
        surname = 0
    elif one_edit(a.sn, b.sn):
        surname = 1
    else:
        surname = 2
    licence: int | None = None
    if a.licence_number:
        licence = licence_level(a.licence_number, b)
    elif b.licence_number:
        licence = licence_level(b.licence_number, a)
    return (
        surname,
        given,
        _middle(a, b),
        _dob(a.date_of_birth, b.date_of_birth),
        _address(a, b),
        licence,
        sex,
    )
