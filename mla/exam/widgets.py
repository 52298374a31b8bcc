"""The notebook front end: an ipywidgets quiz on the same engine, so answers and results reach the kernel and are
saved in the progress store. In a notebook: ``from mla.exam.widgets import Quiz; Quiz(count=5)``."""

from __future__ import annotations

import html

import ipywidgets as w

from . import practice
from .engine import ExamRun
from .questions import MULTIPLE, ORDERING, SINGLE, Question
from .scoring import Result
from .terminal import clock_text, format_response, key_of


class Quiz:
    def __init__(self, *, exam: str = "C02", mode: str = "quiz", count: int | None = 5, domain: int | None = None,
                 seed: int | None = None, minutes: float | None = None, bank=None, store=None, resume: bool = False):
        """``resume=True`` reopens the learner's unfinished session (from here or `mla exam`) instead of starting
        another; the other arguments then apply only when there is none."""
        from ..progress.store import open_store
        from .questions import load_bank

        self.store = store or open_store()
        self.bank = bank or load_bank()
        self.run: ExamRun = (resume and practice.resume(self.store, self.bank)) or practice.start(
            self.store, self.bank, exam=exam, mode=mode, count=count, domain=domain, seed=seed, minutes=minutes)
        self.result: Result | None = None
        self.header, self.stem, self.message = w.HTML(), w.HTML(), w.HTML()
        self.answer_box = w.VBox()
        self.unsure = w.Checkbox(description="unsure (review this later)", indent=False)
        self.previous, self.next = w.Button(description="Previous"), w.Button(description="Next")
        self.flag, self.submit_button = w.Button(description="Flag"), w.Button(description="Submit", button_style="primary")
        self.previous.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(+1))
        self.flag.on_click(lambda _: self._toggle_flag())
        self.submit_button.on_click(lambda _: self.submit())
        self.results = w.HTML()
        self.widget = w.VBox([self.header, self.stem, self.answer_box, self.unsure,
                              w.HBox([self.previous, self.next, self.flag, self.submit_button]), self.message,
                              self.results])
        self._inputs: list[w.Widget] = []
        self._show()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # answering
    def _show(self) -> None:
        q, s = self.run.question, self.run.session
        flagged = " ⚑ flagged" if q.id in s.flags else ""
        self.header.value = (f"<b>Question {s.current + 1} of {self.run.count}</b> · "
                             f"{clock_text(self.run.remaining_seconds())}{flagged}")
        case = (f"<p><b>Case study: {html.escape(q.case.title)}</b><br>{html.escape(q.case.scenario)}</p>"
                if q.case else "")
        self.stem.value = case + f"<p>{html.escape(q.stem)}</p>"
        self._inputs = self._inputs_for(q, s.responses.get(q.id))
        self.answer_box.children = self._inputs
        self.unsure.value = q.id in s.low_confidence

    def _inputs_for(self, q: Question, saved) -> list[w.Widget]:
        labels = [(f"{o.id}) {o.text}", o.id) for o in q.options]
        if q.type == SINGLE:
            return [w.RadioButtons(options=labels, value=saved, layout=w.Layout(width="auto"))]
        if q.type == MULTIPLE:
            return [w.Checkbox(description=label, value=bool(saved and oid in saved), indent=False)
                    for label, oid in labels]
        if q.type == ORDERING:
            saved = saved or [None] * len(q.options)
            return [w.Dropdown(options=[("—", None)] + labels, value=saved[i], description=f"{i + 1}.")
                    for i in range(len(q.options))]
        saved = saved or {}
        return [w.Dropdown(options=[("—", None)] + labels, value=saved.get(p.id), description=p.id,
                           layout=w.Layout(width="auto"), tooltip=p.text) for p in q.prompts]

    def _collect(self):
        q = self.run.question
        if q.type == SINGLE:
            return self._inputs[0].value
        if q.type == MULTIPLE:
            picks = [o.id for o, box in zip(q.options, self._inputs, strict=True) if box.value]
            return picks or None
        values = [d.value for d in self._inputs]
        if all(v is None for v in values):
            return None
        if q.type == ORDERING:
            if None in values:
                raise ValueError("put an item in every position")
            return values
        return {p.id: v for p, v in zip(q.prompts, values, strict=True) if v is not None}

    def _save_current(self) -> bool:
        try:
            response = self._collect()
            if response is None:
                return True
            self.run.answer(response, confident=not self.unsure.value)
        except ValueError as error:
            self.message.value = f"<span style='color:#a00'>{html.escape(str(error))}</span>"
            return False
        self.message.value = ""
        return True

    def _move(self, step: int) -> None:
        if self.result is not None or not self._save_current():
            return
        if self.run.time_up():
            self.submit()
            return
        self.run.go(min(max(self.run.session.current + step, 0), self.run.count - 1))
        self._show()

    def _toggle_flag(self) -> None:
        if self.result is None:
            self.run.toggle_flag()
            self._show()

    def submit(self) -> Result:
        if self.result is None:
            self._save_current()
            self.result = self.run.submit()
            for button in (self.previous, self.next, self.flag, self.submit_button):
                button.disabled = True
            self.results.value = results_html(self.run, self.result)
        return self.result


def results_html(run: ExamRun, result: Result) -> str:
    e = html.escape
    verdict = "PASS" if result.passed_estimate else "FAIL"
    rows = "".join(f"<tr><td>domain {d}</td><td>{s['correct']}/{s['total']}</td><td>{s['percent']:g}%</td></tr>"
                   for d, s in result.by_domain.items())
    parts = [f"<h3>{result.correct} / {result.scored} right ({result.percent:g}%)</h3>",
             f"<p><b>{result.scaled_estimate}</b> on 100–1000, {verdict} against 720 — {e(result.label)}</p>",
             f"<table>{rows}</table>"]
    for n, row in enumerate(result.questions, start=1):
        q = run.bank[row["id"]]
        mark = "✔ right" if row["correct"] else "✘ wrong"
        parts.append(f"<details><summary>{n}. {mark} · you: {e(format_response(row['response']))} · key: "
                     f"{e(format_response(key_of(q)))}</summary><p>{e(q.stem)}</p><ul>"
                     + "".join(f"<li><b>{e(o.id)}) {e(o.text)}</b><br>{e(o.explanation)}</li>" for o in q.options)
                     + "</ul>" + "".join(f"<a href='{e(r['url'])}'>{e(r['title'])}</a><br>" for r in q.references)
                     + "</details>")
    return "\n".join(parts)


__all__ = ["Quiz"]
