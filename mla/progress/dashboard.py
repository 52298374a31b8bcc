"""The readiness report: domain trends, the readiness rule, weakest skills with the notebooks that teach them,
due reviews and predicted retention, as one HTML file with embedded plots."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections import defaultdict
from pathlib import Path

from .. import syllabus
from ..coverage import notebook_coverage
from . import review
from .store import ProgressStore

READY_PERCENT = 80.0
READY_EXAMS = 3


def practice_exams(store: ProgressStore, exam: str = "C02") -> list[dict]:
    """Submitted full practice exams, oldest first."""
    return store.finished(mode="exam", exam=exam)


def readiness(exams: list[dict]) -> tuple[bool, list[str]]:
    """The seed's rule: the last three practice exams each >= 80% in every domain and finished within time."""
    last = exams[-READY_EXAMS:]
    reasons = []
    if len(last) < READY_EXAMS:
        reasons.append(f"{len(last)} of the {READY_EXAMS} practice exams the rule needs are done")
    for n, record in enumerate(last, start=len(exams) - len(last) + 1):
        result = record["result"]
        low = {d: s["percent"] for d, s in result["by_domain"].items() if s["percent"] < READY_PERCENT}
        if low:
            reasons.append(f"exam {n}: below {READY_PERCENT:g}% in domain " +
                           ", ".join(f"{d} ({p:g}%)" for d, p in sorted(low.items())))
        if not result["within_time"]:
            reasons.append(f"exam {n}: over the time limit")
    return not reasons, reasons


def skill_accuracy(store: ProgressStore) -> dict[str, tuple[int, int]]:
    """Per C02 skill: (right, asked) over every submitted exam and quiz."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in store.finished():
        for row in record["result"]["questions"]:
            for skill in row["skills"]:
                tally[skill][0] += int(row["correct"])
                tally[skill][1] += 1
    return {k: (v[0], v[1]) for k, v in tally.items()}


def notebooks_by_skill() -> dict[str, list[str]]:
    """C02 skill id -> notebooks whose metadata.mla.skills lists it."""
    return {skill: cov.notebooks for skill, cov in notebook_coverage().items() if cov.notebooks}


def weakest_skills(store: ProgressStore, limit: int = 10) -> list[dict]:
    texts, teach = syllabus.c02_skills(), notebooks_by_skill()
    rows = [{"skill": s, "text": texts.get(s, ""), "right": r, "asked": n, "percent": round(100 * r / n, 1),
             "notebooks": teach.get(s, [])} for s, (r, n) in skill_accuracy(store).items()]
    return sorted(rows, key=lambda row: (row["percent"], -row["asked"], row["skill"]))[:limit]


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def domain_trend_png(exams: list[dict]) -> str | None:
    if not exams:
        return None
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.5))
    axes = figure.subplots()
    numbers = list(range(1, len(exams) + 1))
    for domain in ("1", "2", "3", "4"):
        points = [e["result"]["by_domain"].get(domain, {}).get("percent") for e in exams]
        axes.plot(numbers, [p if p is not None else float("nan") for p in points], marker="o", label=f"domain {domain}")
    axes.axhline(READY_PERCENT, color="grey", linestyle="--", label=f"{READY_PERCENT:g}% target")
    axes.set(xlabel="practice exam", ylabel="% right (scored items)", ylim=(0, 105), xticks=numbers)
    axes.legend(loc="lower right", fontsize="small")
    return _png(figure)


def retention_png(store: ProgressStore, now: dt.datetime, days: int = 30) -> str | None:
    cards = list(review.cards(store).values())
    if not cards:
        return None
    from matplotlib.figure import Figure

    offsets = list(range(days + 1))
    curve = [100 * sum(review.SCHEDULER.get_card_retrievability(c, now + dt.timedelta(days=d)) for c in cards)
             / len(cards) for d in offsets]
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    axes.plot(offsets, curve)
    axes.axhline(100 * review.DESIRED_RETENTION, color="grey", linestyle="--", label="desired retention")
    axes.set(xlabel="days from now without reviewing", ylabel="predicted recall %", ylim=(0, 105))
    axes.legend(fontsize="small")
    return _png(figure)


def report_html(store: ProgressStore, now: dt.datetime | None = None, exam: str = "C02") -> str:
    now = now or dt.datetime.now(dt.UTC)
    exams = practice_exams(store, exam)
    ready, reasons = readiness(exams)
    due = review.due(store, now)
    retention_now = review.predicted_retention(store, now)
    retention_30 = review.predicted_retention(store, now + dt.timedelta(days=30))
    e = html.escape
    parts = ["<!doctype html><meta charset='utf-8'><title>MLA readiness report</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto}td,th{padding:2px 8px;"
             "text-align:left;vertical-align:top}.ok{color:#080}.no{color:#a00}</style>",
             f"<h1>MLA-{e(exam)} readiness report</h1><p>generated {now:%Y-%m-%d %H:%M} UTC</p>",
             "<h2>Readiness</h2>"]
    if ready:
        parts.append(f"<p class='ok'>Ready: the last {READY_EXAMS} practice exams are all at or above "
                     f"{READY_PERCENT:g}% in every domain and within time.</p>")
    else:
        parts.append(f"<p class='no'>Not ready yet (rule: last {READY_EXAMS} practice exams at or above "
                     f"{READY_PERCENT:g}% in every domain, within time).</p><ul>"
                     + "".join(f"<li>{e(r)}</li>" for r in reasons) + "</ul>")
    parts.append("<h2>Practice exams</h2>")
    trend = domain_trend_png(exams)
    if trend:
        parts.append(f"<img alt='per-domain score trend' src='data:image/png;base64,{trend}'>")
        parts.append("<table><tr><th>#</th><th>date</th><th>right</th><th>estimated scaled score</th>"
                     "<th>time</th></tr>" + "".join(
                         f"<tr><td>{n}</td><td>{e(x['state']['started_at'][:10])}</td>"
                         f"<td>{x['result']['correct']}/{x['result']['scored']} ({x['result']['percent']:g}%)</td>"
                         f"<td>{x['result']['scaled_estimate']} (estimate)</td>"
                         f"<td>{x['result']['elapsed_seconds'] / 60:.0f} min"
                         f"{'' if x['result']['within_time'] else ' (over)'}</td></tr>"
                         for n, x in enumerate(exams, start=1)) + "</table>")
        parts.append("<p>Scaled scores are estimates: AWS does not publish its raw-to-scaled conversion.</p>")
    else:
        parts.append("<p>No practice exam yet: run <code>mla exam</code>.</p>")
    parts.append("<h2>Weakest skills</h2>")
    weak = weakest_skills(store)
    if weak:
        parts.append("<table><tr><th>skill</th><th>right</th><th>notebooks that teach it</th></tr>" + "".join(
            f"<tr><td>C02:{e(w['skill'])} {e(w['text'])}</td><td>{w['right']}/{w['asked']} ({w['percent']:g}%)</td>"
            f"<td>{'<br>'.join(e(n) for n in w['notebooks']) or '—'}</td></tr>" for w in weak) + "</table>")
    else:
        parts.append("<p>No answers recorded yet.</p>")
    parts.append("<h2>Reviews</h2>")
    if retention_now is None:
        parts.append("<p>No review cards yet; missed and unsure answers become cards.</p>")
    else:
        parts.append(f"<p>{len(due)} card(s) due now (<code>mla review</code>). Predicted recall of your cards: "
                     f"{100 * retention_now:.0f}% now, {100 * retention_30:.0f}% in 30 days without reviewing "
                     f"(fsrs, desired retention {review.DESIRED_RETENTION:.0%}).</p>")
        parts.append(f"<img alt='predicted retention' src='data:image/png;base64,{retention_png(store, now)}'>")
    scores = store.exercise_scores()
    if scores:
        parts.append("<h2>Exercise scores (mla check)</h2><table><tr><th>notebook</th><th>exercise</th>"
                     "<th>score</th><th>when</th></tr>" + "".join(
                         f"<tr><td>{e(s['notebook'])}</td><td>{e(s['exercise'])}</td>"
                         f"<td>{s['score']:g}/{s['max_score']:g}</td><td>{e(s['recorded_at'])}</td></tr>"
                         for s in scores) + "</table>")
    return "\n".join(parts)


def write_report(store: ProgressStore, path: Path, now: dt.datetime | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(report_html(store, now), encoding="utf-8")
    temporary.replace(path)
    return path


def show(store: ProgressStore | None = None, now: dt.datetime | None = None):
    """The report inside a notebook (the learner's own store by default), framed so the page's own style does not
    restyle the notebook."""
    import html

    from IPython.display import HTML

    from .store import open_store

    own = store is None
    store = open_store() if own else store
    try:
        page = report_html(store, now)
    finally:
        if own:
            store.close()
    return HTML(f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:900px;border:0"></iframe>')
