"""A linkage-quality report a caseworker team lead can read: one self-contained HTML page.

``write_report`` writes ``index.html`` into a folder: the headline figures and per-source-pair
precision and recall of an :class:`~govgraph.linkage.evaluate.Evaluation`; one match-weight chart
per comparison (how much each level of agreement counts for or against a match, from the fitted
model); the score histogram of the index's probabilistic links and open reviews, split by
whether the generator's truth says they are right; and the worst misses (people split over
several citizens) and wrong merges, each with the evidence the index holds (the profiles of the
citizens involved, and any open review with its score and reason). Charts are inline SVG; the
page loads nothing from anywhere. It is for generated populations (``--evaluate``): the truth
file is the generator's.
"""

from __future__ import annotations

import asyncio
import html
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govgraph.index import ACTIVE, CitizenIndex, CitizenProfile, Review
from govgraph.linkage.evaluate import Evaluation, truth_people
from govgraph.linkage.words import count

__all__ = ["LEVEL_NAMES", "write_report"]

LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "surname": ("exact", "one edit", "different"),
    "given": ("exact", "nickname", "one edit", "middle/initial", "different"),
    "middle": ("agree", "missing", "different"),
    "dob": ("exact", "day/month swapped", "different"),
    "address": ("postcode + line", "postcode", "district", "different"),
    "licence": ("all encoded agree", "birth date + sex", "inconsistent"),
    "sex": ("same", "different"),
}
"""What each comparison level means (``govgraph.linkage.compare``), for the charts."""

_BINS = 20
_GOOD = "#00703c"
_BAD = "#d4351c"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _weights_chart(field: str, m: list[float], u: list[float]) -> str:
    names = LEVEL_NAMES.get(field, ())
    weights = [math.log2(a / b) for a, b in zip(m, u, strict=True)]
    scale = max(1.0, max(abs(w) for w in weights))
    row, label_w, half = 22, 140, 160
    height = row * len(weights) + 10
    parts = [
        f'<svg role="img" aria-label="match weights for {_e(field)}"'
        f' width="{label_w + 2 * half + 60}" height="{height}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{label_w + half}" y1="0" x2="{label_w + half}" y2="{height}"'
        ' stroke="#505a5f"/>',
    ]
    for i, w in enumerate(weights):
        y = 5 + i * row
        length = abs(w) / scale * half
        x = label_w + half if w >= 0 else label_w + half - length
        colour = _GOOD if w >= 0 else _BAD
        name = names[i] if i < len(names) else f"level {i}"
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{_e(name)}</text>')
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{row - 6}"'
            f' fill="{colour}"><title>{_e(name)}: {w:+.2f} bits</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + 2 * half + 5}" y="{y + 14}" font-size="12">{w:+.1f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(right: list[float], wrong: list[float]) -> str:
    def counts(scores: list[float]) -> list[int]:
        out = [0] * _BINS
        for s in scores:
            out[min(_BINS - 1, max(0, int(s * _BINS)))] += 1
        return out

    good, bad = counts(right), counts(wrong)
    top = max([1, *good, *bad])
    bar, gap, height = 14, 6, 160
    width = _BINS * (2 * bar + gap) + 40
    parts = [
        f'<svg role="img" aria-label="score histogram by truth" width="{width}"'
        f' height="{height + 40}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(_BINS):
        x = 30 + i * (2 * bar + gap)
        for j, (n, colour, what) in enumerate(((good[i], _GOOD, "right"), (bad[i], _BAD, "wrong"))):
            h = math.log10(1 + n) / math.log10(1 + top) * height if n else 0
            parts.append(
                f'<rect x="{x + j * bar}" y="{height - h + 5:.1f}" width="{bar - 1}"'
                f' height="{h:.1f}" fill="{colour}"><title>{i / _BINS:.2f} to'
                f" {(i + 1) / _BINS:.2f}: {n} {what}</title></rect>"
            )
        if i % 4 == 0:
            parts.append(f'<text x="{x}" y="{height + 22}" font-size="11">{i / _BINS:.1f}</text>')
    parts.append(f'<text x="{width - 30}" y="{height + 22}" font-size="11">1.0</text></svg>')
    return "".join(parts)


def _profile(p: CitizenProfile | None) -> str:
    if p is None:
        return "(no profile)"
    names = " ".join(x for x in (p.given_name, p.middle_names, p.surname) if x)
    dob = p.date_of_birth.isoformat() if p.date_of_birth else "no birth date"
    return f"{names}, born {dob}, {p.postcode or 'no postcode'} (from {p.source})"


async def write_report(
    index: CitizenIndex,
    truth_path: Path,
    evaluation: Evaluation,
    model: Mapping[str, Any],
    out_dir: Path,
    worst: int = 25,
) -> Path:
    """Write ``out_dir/index.html`` for the index's links against ``truth_path``; ``model`` is
    the run's fitted model (:attr:`LinkReport.model`). Returns the page's path."""
    people, _ = truth_people(truth_path)
    owner = {(s, k): i for i, g in enumerate(people) for s, keys in g.items() for k in keys}
    links = [x for x in await index.all_links() if x.status == ACTIVE]
    keys_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for x in links:
        keys_of[x.citizen_id].append((x.source, x.key))
    main_owner = {
        cid: Counter(owner.get(sk) for sk in sks).most_common(1)[0][0]
        for cid, sks in keys_of.items()
    }
    right: list[float] = []
    wrong: list[float] = []
    for x in links:
        if x.method == "probabilistic":
            is_right = owner.get((x.source, x.key)) == main_owner[x.citizen_id]
            (right if is_right else wrong).append(x.score)
    reviews: list[Review] = []
    after = 0
    while batch := await index.open_reviews(limit=5000, after_id=after):
        reviews += batch
        after = batch[-1].id or after + len(batch)
    review_of: dict[tuple[str, str], list[Review]] = defaultdict(list)
    for r in reviews:
        same = owner.get((r.source, r.key)) == owner.get((r.candidate_source, r.candidate_key))
        (right if same else wrong).append(r.score)
        review_of[(r.source, r.key)].append(r)
        review_of[(r.candidate_source, r.candidate_key)].append(r)
    citizen = {(x.source, x.key): x.citizen_id for x in links}
    misses: list[tuple[int, int]] = []
    for i, g in enumerate(people):
        held = [citizen.get((s, k)) for s, keys in g.items() for k in keys]
        parts = Counter(c for c in held if c is not None)
        if len(parts) > 1:
            total = sum(parts.values())
            missed = (total * total - sum(n * n for n in parts.values())) // 2
            misses.append((missed, i))
    misses.sort(key=lambda t: (-t[0], t[1]))
    merged = [cid for cid, sks in keys_of.items() if len({owner.get(sk) for sk in sks}) > 1]
    shown_ids = {citizen[sk] for _, i in misses[:worst] for sk in _keys(people[i]) if sk in citizen}
    shown_ids |= set(merged[:worst])
    profiles = await index.profiles(sorted(shown_ids)) if shown_ids else {}

    o = evaluation.overall
    body = [
        "<h1>Linkage quality</h1>",
        f"<p>Precision <strong>{o.precision:.6f}</strong> ({o.predicted_pairs - o.correct_pairs}"
        f" wrong of {count(o.predicted_pairs, 'linked pair')}), recall"
        f" <strong>{o.recall:.6f}</strong> ({o.true_pairs - o.correct_pairs} of"
        f" {count(o.true_pairs, 'true pair')} not linked);"
        f" {count(evaluation.people, 'person')}, {count(evaluation.citizens, 'citizen')},"
        f" {count(evaluation.split, 'person')} split,"
        f" {count(evaluation.merged, 'citizen')} merging people,"
        f" {count(evaluation.ambiguous, 'open review')}.</p>",
        "<table><caption>By pair of departments</caption><tr><th>pair</th><th>precision</th>"
        "<th>recall</th><th>true pairs</th><th>linked</th><th>open reviews</th></tr>",
    ]
    for name, q in evaluation.pairs.items():
        body.append(
            f"<tr><td>{_e(name)}</td><td>{q.precision:.6f}</td><td>{q.recall:.6f}</td>"
            f"<td>{q.true_pairs}</td><td>{q.predicted_pairs}</td><td>{q.ambiguous}</td></tr>"
        )
    body.append("</table><h2>How much each comparison counts</h2>")
    body.append(
        "<p>Bits of evidence for (green) or against (red) two records being one person, per"
        " level of agreement, as the model was fitted on this population.</p>"
    )
    m, u = model.get("m", {}), model.get("u", {})
    for field in m:
        body.append(f"<h3>{_e(field)}</h3>{_weights_chart(field, m[field], u[field])}")
    body.append("<h2>Scores by truth</h2>")
    body.append(
        f"<p>Match probability of the {len(right) + len(wrong)} probabilistic links and open"
        f" reviews: right (green, {len(right)}) and wrong (red, {len(wrong)}); bar heights on a"
        " logarithmic scale.</p>"
    )
    body.append(_histogram(right, wrong))
    body.append(f"<h2>Worst misses ({count(len(misses), 'person')} split)</h2>")
    for missed, i in misses[:worst]:
        body.append(f"<h3>{count(missed, 'pair')} not linked</h3><ul>")
        for s, k in _keys(people[i]):
            cid = citizen.get((s, k))
            evidence = _profile(profiles.get(cid)) if cid else "not linked"
            body.append(f"<li>{_e(s)} {_e(k)}: citizen {_e(cid or '-')}: {_e(evidence)}")
            for r in review_of.get((s, k), [])[:3]:
                body.append(f"<br>open review, score {r.score:.3f}: {_e(r.reason)}")
            body.append("</li>")
        body.append("</ul>")
    body.append(f"<h2>Wrong merges ({count(len(merged), 'citizen')})</h2>")
    for cid in merged[:worst]:
        owners = Counter(owner.get(sk) for sk in keys_of[cid])
        body.append(
            f"<h3>citizen {_e(cid)}: {count(len(owners), 'person')}</h3>"
            f"<p>{_e(_profile(profiles.get(cid)))}</p><ul>"
        )
        for s, k in keys_of[cid]:
            body.append(f"<li>{_e(s)} {_e(k)}</li>")
        body.append("</ul>")
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Linkage quality</title><style>body{font-family:sans-serif;max-width:60em;"
        "margin:1em auto;color:#0b0c0c}table{border-collapse:collapse}td,th{border:1px solid"
        " #b1b4b6;padding:2px 6px;text-align:right}td:first-child{text-align:left}</style>"
        "</head><body>" + "".join(body) + "</body></html>"
    )
    return await asyncio.to_thread(_write, out_dir, page)


def _write(out_dir: Path, page: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _keys(person: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    return [(s, k) for s, keys in person.items() for k in keys]
