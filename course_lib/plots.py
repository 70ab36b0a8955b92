"""Pictures the chapters share: training curves, confusion matrices, image grids, word projections.

Each function draws on a new figure (or the ``ax`` you pass), titles it, labels its axes and returns
the matplotlib object, so a notebook shows it and a test can inspect it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def _history_dict(history) -> dict[str, list[float]]:
    """``{metric: values per epoch}`` from a Keras ``History`` or a plain dict."""
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping):
        raise TypeError(
            f"expected a keras History (the return value of model.fit) or a dict of lists, got "
            f"{type(history).__name__}"
        )
    if not data:
        raise ValueError("the history is empty: did model.fit run for at least one epoch?")
    return {str(k): list(map(float, v)) for k, v in data.items()}


def plot_history(history, metrics: Sequence[str] | None = None, title: str = "Training curves"):
    """One panel per metric: the training curve and, when present, the validation curve (``val_<metric>``).

    Args:
        history: the ``History`` that ``model.fit`` returns, or a dict such as ``{"loss": [...], "val_loss": [...]}``.
        metrics: which metrics to draw (default: every key without the ``val_`` prefix, e.g. loss, accuracy).
        title: the figure's title.

    Returns:
        The matplotlib ``Figure``; ``fig.axes[i]`` is the panel of ``metrics[i]``.

    Raises:
        TypeError / ValueError: not a history, empty, an unknown metric, or curves of different lengths.
    """
    import matplotlib.pyplot as plt

    data = _history_dict(history)
    if metrics is None:
        metrics = [k for k in data if not k.startswith("val_")]
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in data]
    if unknown:
        raise ValueError(f"no metric {unknown} in the history; it has {sorted(data)}")
    for metric in metrics:
        val = data.get(f"val_{metric}")
        if val is not None and len(val) != len(data[metric]):
            raise ValueError(f"'{metric}' has {len(data[metric])} epochs but 'val_{metric}' has {len(val)}")

    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(data[metric]) + 1)
        ax.plot(epochs, data[metric], marker="o", label="training")
        if f"val_{metric}" in data:
            ax.plot(epochs, data[f"val_{metric}"], marker="o", label="validation")
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(y_true, y_pred, labels: Sequence | None = None, normalize: str | None = None,
                          title: str = "Confusion matrix", ax=None):
    """The confusion matrix of ``y_pred`` against ``y_true`` (rows: true class, columns: predicted).

    A thin layer over scikit-learn's ``ConfusionMatrixDisplay`` that checks its inputs and labels the plot.

    Args:
        y_true, y_pred: class labels, 1-D, same length ``(n,)``.
        labels: display names of the classes, in the order of the sorted class values.
        normalize: ``None`` (counts), ``"true"`` (each row sums to 1), ``"pred"`` or ``"all"``.
        ax: an existing matplotlib ``Axes`` to draw on.

    Returns:
        The matplotlib ``Axes``.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D label arrays, got shapes {y_true.shape} and {y_pred.shape}. "
            "For predicted probabilities, take y_pred = probs.argmax(axis=1) first."
        )
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    classes = np.union1d(y_true, y_pred)
    if labels is not None and len(labels) != len(classes):
        raise ValueError(f"{len(labels)} labels given for {len(classes)} classes {classes.tolist()}")
    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=classes, display_labels=labels, normalize=normalize, ax=ax,
        colorbar=False, values_format=".2f" if normalize else "d",
    )
    display.ax_.set_title(title)
    display.ax_.set_xlabel("predicted class")
    display.ax_.set_ylabel("true class")
    return display.ax_


def plot_image_grid(images, titles: Sequence[str] | None = None, ncols: int = 8, title: str = "",
                    cmap: str = "gray_r", size: float = 1.3):
    """Show images in a grid, one small titled panel each (digits, filters, feature maps).

    Args:
        images: array ``(n, h, w)`` or ``(n, h, w, 1)``, or a list of 2-D arrays.
        titles: ``n`` panel titles, or ``None``.
        ncols: panels per row.
        title: the figure's title.
        cmap: matplotlib colour map (``"gray_r"``: dark ink on white; ``"viridis"`` for signed values).
        size: inches per panel.

    Returns:
        The matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    images = [np.asarray(image) for image in images]
    images = [image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image for image in images]
    if not images or any(image.ndim != 2 for image in images):
        raise ValueError("images must be a non-empty sequence of 2-D arrays (n, h, w) or (n, h, w, 1)")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(titles)} titles for {len(images)} images")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                             squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[index], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_word_projection(points, words: Sequence[str], groups: Sequence[str] | None = None,
                         title: str = "Word vectors projected to 2-D", xlabel: str = "component 1",
                         ylabel: str = "component 2", ax=None):
    """Scatter 2-D points (e.g. word vectors after PCA), each labelled with its word, coloured by group.

    Args:
        points: array ``(n, 2)``.
        words: ``n`` labels.
        groups: ``n`` group names (one colour and one legend entry each), or ``None``.
        title, xlabel, ylabel: the plot's title and axis labels.
        ax: an existing matplotlib ``Axes`` to draw on.

    Returns:
        The matplotlib ``Axes``.
    """
    import matplotlib.pyplot as plt

    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2) (project the vectors to 2-D first), got {points.shape}")
    if len(words) != len(points):
        raise ValueError(f"{len(words)} words for {len(points)} points")
    if groups is not None and len(groups) != len(points):
        raise ValueError(f"{len(groups)} groups for {len(points)} points")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    names = list(dict.fromkeys(groups)) if groups is not None else [None]
    for name in names:
        chosen = [i for i in range(len(points)) if groups is None or groups[i] == name]
        ax.scatter(points[chosen, 0], points[chosen, 1], label=name, s=25)
        for i in chosen:
            ax.annotate(words[i], points[i], textcoords="offset points", xytext=(4, 3), fontsize=9)
    if groups is not None:
        ax.legend(fontsize=8, loc="best")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_word_weights(weights: Sequence[tuple[str, float]] | Mapping[str, float], title: str = "Word weights",
                      xlabel: str = "weight", ax=None):
    """Horizontal bars of word weights (an explanation): positive green, negative red, first word on top.

    Args:
        weights: ``(word, weight)`` pairs in the order to draw them, e.g. ``Explanation.top(10)``, or a dict.
        title, xlabel: the plot's title and x-axis label.
        ax: an existing matplotlib ``Axes`` to draw on.

    Returns:
        The matplotlib ``Axes``.
    """
    import matplotlib.pyplot as plt

    pairs = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    if not pairs:
        raise ValueError("no word weights to plot: pass (word, weight) pairs, e.g. explanation.top(10)")
    words = [str(word) for word, _ in pairs]
    values = np.array([float(value) for _, value in pairs])
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.3 * len(pairs) + 1.2))
    positions = np.arange(len(pairs))[::-1]
    ax.barh(positions, values, color=["tab:green" if v > 0 else "tab:red" for v in values])
    ax.set_yticks(positions, words)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    return ax


def highlight_text(text: str, weights: Mapping[str, float], max_weight: float | None = None):
    """The text as HTML, each word on a background coloured by its weight: green positive, red negative.

    A word is looked up lower-cased (``"Great"`` -> ``weights["great"]``); a contraction such as ``"didn't"``
    takes the weight of ``"n't"`` when it has none of its own, as NLTK splits it that way. Words without a
    weight stay plain. The opacity is ``|weight| / max_weight`` (default: the largest |weight|).

    Returns:
        ``IPython.display.HTML``; its ``.data`` is the HTML string.
    """
    import html
    import re

    from IPython.display import HTML

    if not isinstance(text, str):
        raise TypeError(f"highlight_text expects the text (str), got {type(text).__name__}")
    scale = max_weight if max_weight is not None else max((abs(w) for w in weights.values()), default=0.0)
    pieces, last = [], 0
    for match in re.finditer(r"[\w']+", text):
        word = match.group().lower()
        weight = weights.get(word, weights.get("n't") if word.endswith("n't") else None)
        pieces.append(html.escape(text[last:match.start()], quote=False))
        if weight is None or scale == 0:
            pieces.append(html.escape(match.group(), quote=False))
        else:
            rgb = "0, 160, 0" if weight > 0 else "220, 0, 0"
            alpha = min(abs(weight) / scale, 1.0)
            pieces.append(f'<span style="background: rgba({rgb}, {alpha:.2f})" title="{weight:+.3f}">'
                          f"{html.escape(match.group(), quote=False)}</span>")
        last = match.end()
    pieces.append(html.escape(text[last:], quote=False))
    return HTML('<div style="line-height: 1.6">' + "".join(pieces) + "</div>")
