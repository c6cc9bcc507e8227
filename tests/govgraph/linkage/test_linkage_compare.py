"""Field comparisons: nicknames, typos, swaps, licence consistency and vetoes."""

from __future__ import annotations

from datetime import date

from govgraph.linkage.compare import compare, group_conflict, licence_level, one_edit, vetoed
from govgraph.linkage.identity import Identity, parse_date, split_forenames
from govgraph.linkage.model import FSModel


def _id(
    given: str = "William",
    surname: str = "Brown",
    dob: date = date(1980, 3, 4),
    postcode: str = "NB1 2AB",
    line: str = "1 High Street",
    middle: str = "",
    sex: str = "M",
    licence: str = "",
) -> Identity:
    return Identity(
        "tax", "K", surname, given, middle, dob, sex, postcode, (line,), "Northbridge", licence
    )


def test_exact_agreement_is_level_zero_everywhere() -> None:
    """Identical identities compare at level 0 on every field, with no licence involved."""
    assert compare(_id(), _id()) == (0, 0, 1, 0, 0, None, 0)


def test_nickname_typo_and_swapped_names() -> None:
    """Bill/William is a nickname, Wiliam a typo, a middle name used as given name is a swap."""
    assert compare(_id("Bill"), _id())[1] == 1
    assert compare(_id("Wiliam"), _id())[1] == 2
    assert compare(_id("Paul"), _id("John", middle="Paul"))[1] == 3
    assert compare(_id(surname="Bronw"), _id())[0] == 1


def test_day_month_swap_and_address_levels() -> None:
    """A swapped day and month is level 1; postcode-only and district-only agreement differ."""
    assert compare(_id(dob=date(1980, 4, 3)), _id())[3] == 1
    assert compare(_id(dob=date(1981, 3, 4)), _id())[3] == 2
    assert compare(_id(line="9 Low Road"), _id())[4] == 1
    assert compare(_id(postcode="NB1 9ZZ"), _id())[4] == 2
    assert compare(_id(postcode="WV3 1AA"), _id())[4] == 3


def test_different_given_name_or_sex_is_a_veto() -> None:
    """Twins' different given names, and a different sex, veto the pair."""
    assert vetoed(compare(_id("Anna", sex="F"), _id("Emma", sex="F")))
    assert vetoed(compare(_id(sex="F"), _id(sex="M")))
    assert not vetoed(compare(_id("Bill"), _id()))


def test_licence_number_consistency() -> None:
    """A licence number agrees with the surname, date of birth and sex it encodes."""
    number = "BROWN803040W99AB"
    assert licence_level(number, _id()) == 0
    assert licence_level(number, _id(surname="Smith")) == 1
    assert licence_level(number, _id(dob=date(1980, 4, 3))) == 0
    assert licence_level(number, _id(dob=date(1981, 3, 4))) == 2
    assert licence_level(number, _id(sex="F")) == 2
    assert compare(_id(licence=number), _id())[5] == 0


def test_one_edit_and_parsing_helpers() -> None:
    """One-edit checks, forename splitting and the date forms the sources use."""
    assert one_edit("SMITH", "SMIHT") and one_edit("SMITH", "SMITHH") and not one_edit("AB", "BA1")
    assert split_forenames("JOHN PAUL GEORGE") == ("JOHN", "PAUL GEORGE")
    assert parse_date(19800304) == parse_date("1980-03-04") == date(1980, 3, 4)
    assert parse_date("19801304") is None and parse_date(None) is None


def test_model_weights_order_the_evidence() -> None:
    """Exact agreement outweighs a nickname, which outweighs a different address."""
    model = FSModel()
    exact = model.weight((0, 0, 1, 0, 0, None, 0))
    nickname = model.weight((0, 1, 1, 0, 0, None, 0))
    moved = model.weight((0, 1, 1, 0, 3, None, 0))
    assert exact > nickname > moved
    assert model.probability(exact) > 0.999


def test_em_fit_recovers_a_clear_mixture() -> None:
    """EM on a clear mixture of matches and non-matches puts the prior near the true share."""
    counts = {
        (0, 0, 1, 0, 0, None, 0): 300,
        (2, 4, 1, 0, 3, None, 1): 600,
        (2, 4, 1, 1, 3, None, 0): 100,
    }
    model = FSModel().fit(counts)
    assert abs(model.prior - 0.3) < 0.02
    assert model.probability(model.weight((0, 0, 1, 0, 0, None, 0))) > 0.99


def test_typos_of_nicknames_and_formal_forms_are_one_edit_agreement() -> None:
    """A typo of a short or formal form (Liiz/Elizabeth, Eichard/Rich) compares as a typo."""
    assert compare(_id("Liiz", sex="F"), _id("Elizabeth", sex="F"))[1] == 2
    assert compare(_id("Eichard"), _id("Rich"))[1] == 2
    assert compare(_id("Jooey"), _id("Joseph"))[1] == 2
    assert vetoed(compare(_id("Robert"), _id("Albert")))


def test_group_conflict_weighs_the_whole_group() -> None:
    """A typo beside an agreeing record does not conflict; twins and a different sex do."""
    assert not group_conflict([_id("Douglas"), _id("Douglsa")], [_id("Doug")])
    assert group_conflict([_id("Anna", sex="F")], [_id("Emma", sex="F")])
    assert group_conflict([_id("Anna", sex="F"), _id("Anan", sex="F")], [_id("Emma", sex="F")])
    assert group_conflict([_id("Douglas"), _id("Douglsa")], [_id("Doug", sex="F")])
