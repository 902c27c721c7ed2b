"""The notebook editor: one image at a time, its values, suggestions, Save / Skip / Back.

An ipywidgets 8 editor that receives plain data (the items, each with ``id``,
``filepath``, ``value``, ``caption``, ``tags``, ``label`` and suggestions) and one
callback, ``save(sample_id, value)``, that records the edit. It never reads a dataset:
``workbench.displays.annotate`` connects it to ``wb.edit``.

Keyboard: the text box has the focus; Enter saves and moves on; Tab reaches the
buttons. A suggestion button puts its label into the box (a word or a tag is added to
what is there). Tags are typed comma-separated.
"""

from __future__ import annotations

import html
import io
import warnings
from collections.abc import Callable

#: Longest side of the image shown, in pixels (large enough to judge a stamp or a photo).
IMAGE_PX = 480


def image_png(path: str, size: int = IMAGE_PX) -> bytes:
    """The image at ``path`` scaled to fit ``size`` px, as PNG bytes (an empty grey square
    when it cannot be read)."""
    from PIL import Image

    from ..core.pixels.images import ImageDecodeError, open_rgb

    try:
        img = open_rgb(path, draft_size=(size, size)).image
    except ImageDecodeError:
        img = Image.new("RGB", (size, size), (200, 200, 200))
    img.thumbnail((size, size))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


class Annotator:
    """Page through items, editing one field; each save calls ``save(sample_id, value)``.

    Parameters
    ----------
    data
        An object with ``field``, ``kind`` (``text``, ``label`` or ``tags``), ``items``,
        ``options`` (known labels) and ``notes`` (lines shown above the suggestions).
    save
        Called with the sample id and the new value (a list of strings for tags, else
        text or None); it records the edit. What it returns is not used; an exception
        is shown in the status line and the item stays.
    image_px
        Longest side of the image shown.

    Examples
    --------
    >>> editor = wb.annotate(ds.take(20, seed=0), field="caption",
    ...                      annotator="expert-1")   # doctest: +SKIP
    >>> editor    # shows the editor                 # doctest: +SKIP
    """

    def __init__(self, data, save: Callable[[str, object], object], *,
                 image_px: int = IMAGE_PX) -> None:
        import ipywidgets as widgets

        self.data, self._save, self.image_px = data, save, image_px
        self.position = 0
        self.saved: list[str] = []
        self.skipped: list[str] = []
        self.progress = widgets.HTML()
        # A fixed box: a small image is drawn up to it, a large one shrunk into it.
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width=f"{image_px}px", height=f"{image_px}px", object_fit="contain",
            flex="0 0 auto"))
        self.current = widgets.HTML()
        entry_cls = widgets.Combobox if data.kind == "label" else widgets.Text
        extra = {"options": list(data.options), "ensure_option": False} \
            if data.kind == "label" else {}
        self.entry = entry_cls(description=data.field, placeholder=self._placeholder(),
                               continuous_update=True, layout=widgets.Layout(width="95%"),
                               style={"description_width": "initial"}, **extra)
        with warnings.catch_warnings():
            # Enter in the box: ipywidgets 8 still sends the submit event (the
            # suggested alternative, observing value with continuous_update off, also
            # fires when the box loses focus, which must not save).
            warnings.simplefilter("ignore", DeprecationWarning)
            self.entry.on_submit(lambda _: self.save())
        self.save_button = widgets.Button(description="Save", button_style="success",
                                          icon="check", tooltip="save and go to the next (Enter)")
        self.skip_button = widgets.Button(description="Skip", icon="forward",
                                          tooltip="leave this one as it is")
        self.back_button = widgets.Button(description="Back", icon="backward",
                                          tooltip="the previous one")
        self.save_button.on_click(lambda _: self.save())
        self.skip_button.on_click(lambda _: self.skip())
        self.back_button.on_click(lambda _: self.back())
        self.notes = widgets.HTML("".join(f"<div><i>{html.escape(n)}</i></div>"
                                          for n in data.notes))
        self.label_box = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.word_box = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.tag_box = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.status = widgets.HTML()
        side = widgets.VBox([self.current, self.entry,
                             widgets.HBox([self.save_button, self.skip_button,
                                           self.back_button]),
                             self.status, self.notes, self.label_box, self.word_box,
                             self.tag_box], layout=widgets.Layout(width="55%"))
        self.widget = widgets.VBox([self.progress, widgets.HBox([self.image, side])])
        self.widget.add_class("wb-annotator")
        self._render()

    # -- what the reader sees ----------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def show(self):
        """The editor's widget (a cell's last value shows it)."""
        return self.widget

    @property
    def item(self):
        """The item shown now (None past the last)."""
        items = self.data.items
        return items[self.position] if self.position < len(items) else None

    def _placeholder(self) -> str:
        return {"tags": "tags, comma-separated; Enter saves",
                "label": "type or pick a label; Enter saves"}.get(
            self.data.kind, "type; Enter saves")

    def _render(self) -> None:
        total = len(self.data.items)
        item = self.item
        done = item is None
        self.progress.value = (f"<b>{min(self.position + 1, total)} / {total}</b>"
                               f" &nbsp; saved {len(self.saved)}, skipped {len(self.skipped)}")
        for b in (self.save_button, self.skip_button, self.entry):
            b.disabled = done
        self.back_button.disabled = self.position == 0
        if done:
            self.current.value = "<b>Done.</b> Every item of this pass was seen."
            self.entry.value = ""
            for box in (self.label_box, self.word_box, self.tag_box):
                box.children = ()
            return
        self.image.value = image_png(item.filepath, self.image_px)
        rows = [("file", item.filepath.rsplit("/", 1)[-1]), ("caption", item.caption),
                ("tags", _text(item.tags))]
        if getattr(self.data, "label_field", None):
            rows.append((self.data.label_field, item.label))
        self.current.value = "<table>" + "".join(
            f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(_text(v)) or '<i>none</i>'}"
            "</td></tr>" for k, v in rows) + "</table>"
        self.entry.value = _text(item.value)
        self.label_box.children = self._buttons(
            "neighbours say", [(str(lab), f"{lab} {conf:.0%}") for lab, conf in item.labels],
            replace=True)
        self.word_box.children = self._buttons("words", [(w, w) for w in item.words])
        self.tag_box.children = self._buttons(
            "CLIP tags", [(t, f"{t} {s:.2f}") for t, s in item.zero_shot])
        try:
            self.entry.focus()
        except Exception:  # pragma: no cover - no front end attached (headless)
            pass

    def _buttons(self, title: str, pairs: list[tuple[str, str]], replace: bool = False):
        import ipywidgets as widgets

        if not pairs:
            return ()
        out = [widgets.HTML(f"<small>{html.escape(title)}:&nbsp;</small>")]
        for value, text in pairs:
            b = widgets.Button(description=text, tooltip=value,
                               layout=widgets.Layout(width="auto"))
            b.on_click(lambda _, v=value: self.use(v, replace=replace))
            out.append(b)
        return tuple(out)

    # -- actions -------------------------------------------------------------------------

    def use(self, suggestion: str, *, replace: bool = False) -> None:
        """Put a suggestion into the box: a label replaces what is there (unless the
        field is tags); a word or a tag is added."""
        now = self.entry.value.strip()
        if self.data.kind == "tags":
            parts = [p.strip() for p in now.split(",") if p.strip()]
            self.entry.value = ", ".join(dict.fromkeys([*parts, suggestion]))
        elif replace or self.data.kind == "label" or not now:
            self.entry.value = suggestion
        else:
            self.entry.value = f"{now} {suggestion}"

    def value(self) -> object:
        """What the box holds, as the value to save (a list for tags; None when empty)."""
        text = self.entry.value.strip()
        if self.data.kind == "tags":
            return [p.strip() for p in text.split(",") if p.strip()]
        return text or None

    def save(self) -> None:
        """Record the box's value for the item shown, then show the next."""
        item = self.item
        if item is None:
            return
        value = self.value()
        try:
            self._save(item.id, value)
        except Exception as exc:  # shown, not raised: the reader fixes it and saves again
            self.status.value = (f"<span style='color:#b00'>not saved: "
                                 f"{html.escape(str(exc))}</span>")
            return
        item.value = value
        self.saved.append(item.id)
        self.status.value = f"saved {html.escape(_text(value)) or '(empty)'}"
        self.position += 1
        self._render()

    def skip(self) -> None:
        """Leave the item shown as it is; show the next."""
        if self.item is None:
            return
        self.skipped.append(self.item.id)
        self.status.value = "skipped"
        self.position += 1
        self._render()

    def back(self) -> None:
        """Show the previous item again."""
        if self.position > 0:
            self.position -= 1
            self.status.value = ""
            self._render()
