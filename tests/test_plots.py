"""course_lib.plots: training curves, confusion matrices, word projections and word weights."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402

from course_lib.plots import (  # noqa: E402
    highlight_text,
    plot_confusion_matrix,
    plot_history,
    plot_word_projection,
    plot_word_weights,
)

HISTORY = {"loss": [0.9, 0.5, 0.3], "accuracy": [0.6, 0.8, 0.9], "val_loss": [1.0, 0.7, 0.6],
           "val_accuracy": [0.55, 0.7, 0.75]}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_history_panels_from_a_keras_history():
    import keras

    history = keras.callbacks.History()
    history.history = HISTORY
    fig = plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    loss_ax = fig.axes[0]
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), HISTORY["val_loss"])
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])
    assert loss_ax.get_xlabel() == "epoch" and fig._suptitle.get_text() == "Training curves"


def test_history_from_a_real_fit():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, verbose=0)
    fig = plot_history(history, metrics=["loss"])
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1  # no validation data, no validation curve


def test_history_without_validation_or_with_chosen_metrics():
    fig = plot_history({"loss": [1.0, 0.5]}, title="mine")
    assert len(fig.axes[0].lines) == 1 and fig._suptitle.get_text() == "mine"
    assert [ax.get_title() for ax in plot_history(HISTORY, metrics=["accuracy"]).axes] == ["accuracy"]


@pytest.mark.parametrize("history, metrics, error, message", [
    ([0.1, 0.2], None, TypeError, "keras History"),
    ({}, None, ValueError, "empty"),
    (HISTORY, ["auc"], ValueError, r"no metric \['auc'\]"),
    ({"loss": [1, 2, 3], "val_loss": [1, 2]}, None, ValueError, "3 epochs but 'val_loss' has 2"),
])
def test_history_bad_input(history, metrics, error, message):
    with pytest.raises(error, match=message):
        plot_history(history, metrics=metrics)


def test_confusion_matrix_counts_and_labels():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    ax = plot_confusion_matrix(y_true, y_pred, labels=["cat", "dog", "bird"])
    np.testing.assert_array_equal(ax.images[0].get_array(), confusion_matrix(y_true, y_pred))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "Confusion matrix"


def test_confusion_matrix_normalised_rows_sum_to_one():
    ax = plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], normalize="true")
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()).sum(axis=1), [1.0, 1.0])


@pytest.mark.parametrize("y_true, y_pred, kwargs, message", [
    ([0, 1], np.eye(2), {}, "argmax"),
    ([0, 1, 1], [0, 1], {}, "3 labels but y_pred has 2"),
    ([0, 1], [0, 1], {"normalize": "rows"}, "normalize must be"),
    ([0, 1], [0, 1], {"labels": ["a", "b", "c"]}, "3 labels given for 2 classes"),
])
def test_confusion_matrix_bad_input(y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_confusion_matrix(y_true, y_pred, **kwargs)


def test_image_grid_layout_and_titles():
    from course_lib.plots import plot_image_grid

    images = np.random.default_rng(0).random((10, 5, 5, 1))
    fig = plot_image_grid(images, titles=[str(i) for i in range(10)], ncols=4, title="grid")
    assert len(fig.axes) == 12  # 3 rows of 4, the last two empty
    assert [ax.get_title() for ax in fig.axes[:10]] == [str(i) for i in range(10)]
    assert sum(1 for ax in fig.axes if ax.images) == 10
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), images[3, ..., 0])
    assert fig._suptitle.get_text() == "grid"


@pytest.mark.parametrize("images, kwargs, message", [
    ([], {}, "non-empty"),
    (np.zeros((2, 3, 3, 3)), {}, "2-D arrays"),
    (np.zeros((2, 3, 3)), {"titles": ["a"]}, "1 titles for 2 images"),
    (np.zeros((2, 3, 3)), {"ncols": 0}, "ncols"),
])
def test_image_grid_bad_input(images, kwargs, message):
    from course_lib.plots import plot_image_grid

    with pytest.raises(ValueError, match=message):
        plot_image_grid(images, **kwargs)


def test_word_projection_labels_every_point_and_colours_groups():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    ax = plot_word_projection(points, ["good", "great", "dog"], ["praise", "praise", "animal"], title="T",
                              xlabel="PC 1", ylabel="PC 2")
    assert [t.get_text() for t in ax.texts] == ["good", "great", "dog"]
    assert [t.xy for t in ax.texts][2] == (2.0, 0.5)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["praise", "animal"]
    assert len(ax.collections) == 2 and ax.collections[0].get_offsets().shape == (2, 2)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "PC 1", "PC 2")
    assert plot_word_projection(points, ["a", "b", "c"]).get_legend() is None


@pytest.mark.parametrize("points, words, groups, message", [
    (np.zeros((3, 50)), ["a", "b", "c"], None, "project the vectors to 2-D"),
    (np.zeros((3, 2)), ["a", "b"], None, "2 words for 3 points"),
    (np.zeros((3, 2)), ["a", "b", "c"], ["x"], "1 groups for 3 points"),
])
def test_word_projection_bad_input(points, words, groups, message):
    with pytest.raises(ValueError, match=message):
        plot_word_projection(points, words, groups)


def test_word_weights_bars_keep_order_and_sign_colours():
    ax = plot_word_weights([("great", 0.3), ("boring", -0.2), ("film", 0.01)], title="T")
    labels = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in labels] == ["great", "boring", "film"]      # first pair on top
    bars = ax.patches
    assert [round(b.get_width(), 3) for b in bars] == [0.3, -0.2, 0.01]
    assert bars[0].get_y() > bars[1].get_y() > bars[2].get_y()
    green, red = matplotlib.colors.to_rgba("tab:green"), matplotlib.colors.to_rgba("tab:red")
    assert [b.get_facecolor() for b in bars] == [green, red, green]
    assert ax.get_title() == "T"
    assert len(plot_word_weights({"a": 1.0, "b": -1.0}).patches) == 2
    with pytest.raises(ValueError, match="no word weights"):
        plot_word_weights([])


def test_highlight_text_colours_words_by_weight_and_escapes_html():
    html = highlight_text("Great <br />film, but I didn't laugh. GREAT", {"great": 0.4, "n't": -0.2,
                                                                           "laugh": 0.1}).data
    assert html.count("rgba(0, 160, 0, 1.00)") == 2                     # both "Great"s, full opacity
    assert 'rgba(220, 0, 0, 0.50)" title="-0.200">didn\'t</span>' in html  # "didn't" takes "n't"
    assert "rgba(0, 160, 0, 0.25)" in html and "&lt;br /&gt;" in html and "<br />" not in html
    assert ">film<" not in html and "film, but" in html                    # no weight: plain
    assert "rgba(0, 160, 0, 0.50)" in highlight_text("great", {"great": 0.4}, max_weight=0.8).data
    with pytest.raises(TypeError, match="expects the text"):
        highlight_text(["great"], {"great": 1.0})
