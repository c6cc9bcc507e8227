"""Given-name equivalences: each name's set of formal forms (William <- Bill, Will, Billy)."""

from __future__ import annotations

import functools

__all__ = ["name_family", "name_forms"]

_FORMAL: dict[str, str] = {
    "WILLIAM": "BILL WILL BILLY WILLIE LIAM",
    "ELIZABETH": "LIZ BETH LIZZIE BETTY ELIZA LIBBY BESS",
    "ROBERT": "BOB ROB BOBBY ROBBIE BERT",
    "RICHARD": "RICK DICK RICH RICKY RICHIE",
    "MARGARET": "MAGGIE PEGGY MEG MADGE MAISIE",
    "JAMES": "JIM JIMMY JAMIE",
    "THOMAS": "TOM TOMMY",
    "KATHERINE": "KATE KATHY KATIE KAT KAY",
    "CATHERINE": "CATHY KATE CATH KATIE CAT",
    "KATHLEEN": "KATHY KATE KATHIE",
    "MICHAEL": "MIKE MICK MICKY",
    "CHRISTOPHER": "CHRIS KIT",
    "CHRISTINE": "CHRIS TINA CHRISSIE",
    "JENNIFER": "JENNY JEN",
    "ALEXANDER": "ALEX SANDY XANDER",
    "ALEXANDRA": "ALEX SANDRA SANDY LEXI",
    "EDWARD": "TED ED EDDIE NED",
    "DANIEL": "DAN DANNY",
    "MATTHEW": "MATT",
    "ANTHONY": "TONY",
    "ANDREW": "ANDY DREW",
    "JOSEPH": "JOE JOEY",
    "SAMUEL": "SAM SAMMY",
    "SAMANTHA": "SAM SAMMY",
    "BENJAMIN": "BEN BENNY",
    "JONATHAN": "JON JONNY",
    "NICHOLAS": "NICK NICKY",
    "NICOLA": "NICKY",
    "PATRICIA": "PAT TRISH PATSY",
    "PATRICK": "PAT PADDY",
    "SUSAN": "SUE SUZY SUSIE",
    "DEBORAH": "DEBBIE DEB",
    "DEBRA": "DEBBIE DEB",
    "REBECCA": "BECKY BECCA",
    "VICTORIA": "VICKY TORI VIC",
    "CHARLOTTE": "LOTTIE CHARLIE",
    "CHARLES": "CHARLIE CHUCK CHAS",
    "ELEANOR": "ELLIE NELL NELLIE",
    "JOSEPHINE": "JO JOSIE",
    "ABIGAIL": "ABBY GAIL",
    "FREDERICK": "FRED FREDDIE FREDDY",
    "HENRY": "HARRY HAL HANK",
    "HARRIET": "HATTIE",
    "JOHN": "JACK JOHNNY",
    "PETER": "PETE",
    "STEPHEN": "STEVE",
    "STEVEN": "STEVE",
    "TIMOTHY": "TIM TIMMY",
    "PHILIP": "PHIL PIP",
    "GREGORY": "GREG",
    "KENNETH": "KEN KENNY",
    "RONALD": "RON RONNIE",
    "DONALD": "DON DONNY",
    "DOROTHY": "DOT DOTTY DOLLY",
    "THEODORE": "THEO TED",
    "ZACHARY": "ZAC ZACK",
    "AMANDA": "MANDY",
    "PAMELA": "PAM",
    "KIMBERLY": "KIM",
    "CYNTHIA": "CINDY",
    "GILLIAN": "GILL JILL",
    "FRANCES": "FRAN FRANNIE",
    "FRANCIS": "FRANK",
    "ALBERT": "BERT AL BERTIE",
    "REGINALD": "REG REGGIE",
    "STANLEY": "STAN",
    "BERNARD": "BERNIE",
    "DOMINIC": "DOM",
    "RAYMOND": "RAY",
    "LAWRENCE": "LARRY",
    "NATHAN": "NATE",
    "NATHANIEL": "NATE NAT",
    "DOUGLAS": "DOUG",
    "MALCOLM": "MAL",
    "BEATRICE": "BEA TRIXIE",
    "WINIFRED": "WINNIE",
    "FLORENCE": "FLO FLOSSIE",
    "MATILDA": "TILLY TILDA",
    "ARCHIBALD": "ARCHIE",
    "ALFRED": "ALFIE ALF",
    "GERALD": "GERRY",
    "JACQUELINE": "JACKIE",
    "SUZANNE": "SUE SUZY",
    "VALERIE": "VAL",
    "TERENCE": "TERRY",
    "ANNE": "ANNIE",
    "ANNA": "ANNIE",
    "MARY": "MOLLY POLLY",
}

_FORMS: dict[str, frozenset[str]] = {}
_FAMILY: dict[str, frozenset[str]] = {}


def _build() -> None:
    forms: dict[str, set[str]] = {}
    for formal, nicks in _FORMAL.items():
        forms.setdefault(formal, {formal}).add(formal)
        for nick in nicks.split():
            forms.setdefault(nick, {nick}).add(formal)
    _FORMS.update({name: frozenset(v) for name, v in forms.items()})
    short: dict[str, set[str]] = {}
    for formal, nicks in _FORMAL.items():
        short.setdefault(formal, {formal}).update(nicks.split())
    for name, formals in _FORMS.items():
        family = set(formals)
        for formal in formals:
            family |= short.get(formal, set())
        _FAMILY[name] = frozenset(family)


_build()


@functools.lru_cache(maxsize=1 << 18)
def _alone(name: str) -> frozenset[str]:
    """One shared set per name without other forms (most names: millions of records share
    them instead of holding a set each)."""
    return frozenset((name,))


def name_forms(name: str) -> frozenset[str]:
    """The upper-case ``name`` and every formal name it may be short for."""
    return _FORMS.get(name) or _alone(name)


def name_family(name: str) -> frozenset[str]:
    """``name``, its formal forms and every other short form of those (``Joey``: Joseph, Joe)."""
    return _FAMILY.get(name) or _alone(name)
