"""Chapter 09 exercises: WordPiece and BERT's masking rule by hand, a head on frozen features to debug, and
which sentence vector makes the better frozen feature."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from course_lib.exercises import asserts, keras_checks
from course_lib.exercises.core import Incorrect, Problem, call, read_only

# --------------------------------------------------------------------------------------------- q1 WordPiece


def _longest_piece(word: str, start: int, vocab) -> tuple[str | None, int]:
    """The longest piece of ``vocab`` that starts at ``start`` (``##`` in front after the first) and its end;
    ``(None, start)`` when none fits."""
    for end in range(len(word), start, -1):
        piece = word[start:end] if start == 0 else "##" + word[start:end]
        if piece in vocab:
            return piece, end
    return None, start


def reference_wordpiece(word: str, vocab, unknown: str = "[UNK]") -> list[str]:
    """Greedy longest-match-first WordPiece of one word: pieces after the first carry ``##``; ``[unknown]`` when
    some part of the word matches no piece."""
    pieces, start = [], 0
    while start < len(word):
        piece, start = _longest_piece(word, start, vocab)
        if piece is None:
            return [unknown]
        pieces.append(piece)
    return pieces


def _shortest_first(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        for end in range(start + 1, len(word) + 1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
        else:
            return ["[UNK]"]
        pieces.append(piece)
        start = end
    return pieces


def _without_marker(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start and word[start:end] not in vocab:
            end -= 1
        if end == start:
            return ["[UNK]"]
        pieces.append(word[start:end])
        start = end
    return pieces


def _partial_unknown(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        piece, end = _longest_piece(word, start, vocab)
        pieces.append(piece or "[UNK]")
        start = end if piece else start + 1
    return pieces


TOY_VOCAB = frozenset({"un", "unaff", "##aff", "##able", "able", "##a", "##ble", "play", "##ing", "##s", "the", "a",
                       "##ffable", "x", "##y"})
"""A small vocabulary in which every shortcut gives another answer than the greedy longest match."""


@functools.cache
def _minilm_vocab() -> frozenset[str]:
    from course_lib.data import minilm_path

    return frozenset((minilm_path() / "vocab.txt").read_text(encoding="utf-8").splitlines())


MINILM_WORDS = ("movie", "unforgettable", "cinematography", "pretraining", "tokenization", "overacted",
                "rewatchable", "keras", "embeddings", "zzzzzzzzzz", "schwarzenegger", "unaffable")
"""Lower-case words the check cuts with MiniLM's vocabulary (their pieces are keras-hub's, tested)."""


class WordPiece(Problem):
    title = "WordPiece by hand: greedy, longest piece first"
    answer_name = "wordpiece"
    hints = (
        "Keep a position `start` (0 at first). At each step try the longest candidate word[start:end], end from "
        "len(word) down to start + 1; after the first piece the candidate is '##' + word[start:end]. The first "
        "candidate found in vocab is the next piece; continue from its end.",
        "If no end works at some start, return ['[UNK]'] for the whole word (not just that part). A `while` loop "
        "with `else:` (run when the loop ends without `break`) fits: `while end > start: ... if piece in vocab: "
        "break; end -= 1` then `else: return ['[UNK]']`.",
    )
    solution_code = """
def wordpiece(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:                                   # the longest piece first
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        else:                                                # no piece fits: the whole word is unknown
            return ["[UNK]"]
        pieces.append(piece)
        start = end
    return pieces
"""
    wrong_answers = (
        (_shortest_first, "LONGEST"),
        (_without_marker, "##"),
        (_partial_unknown, "WHOLE word"),
        (lambda word, vocab: " ".join(reference_wordpiece(word, vocab)), "list of strings"),
        (lambda word, vocab: [word] if word in vocab else ["[UNK]"], "cut"),
        (lambda word, vocab: None, "returned None"),
    )

    def check_answer(self, answer):
        cases = [("unaffable", ["unaff", "##able"]), ("playing", ["play", "##ing"]), ("plays", ["play", "##s"]),
                 ("the", ["the"]), ("xyy", ["x", "##y", "##y"]), ("unplay", ["[UNK]"]), ("qwerty", ["[UNK]"])]
        for word, expected in cases:
            pieces = asserts.tokens(call(answer, word, set(TOY_VOCAB)), f"wordpiece({word!r}, vocab)")
            if pieces == expected:
                continue
            if pieces == _shortest_first(word, TOY_VOCAB):
                raise Incorrect(f"for {word!r} you took the shortest piece first ({pieces}); WordPiece takes the "
                                f"LONGEST piece in vocab at each step: {expected}")
            if pieces == _without_marker(word, TOY_VOCAB) or any(p in TOY_VOCAB and "##" + p in TOY_VOCAB
                                                                     for p in pieces[1:]):
                raise Incorrect(f"for {word!r} got {pieces}: a piece that continues a word is looked up as '##' + "
                                f"piece (\"##able\", not \"able\"); expected {expected}")
            if expected == ["[UNK]"] and "[UNK]" in pieces:
                raise Incorrect(f"for {word!r} got {pieces}: when a part matches no piece, the WHOLE word becomes "
                                "['[UNK]'], not just that part")
            raise Incorrect(f"wordpiece({word!r}, vocab) should cut it into {expected}, got {pieces} (vocab: "
                            f"{sorted(TOY_VOCAB)})")
        vocab = _minilm_vocab()
        for word in MINILM_WORDS:
            pieces = asserts.tokens(call(answer, word, vocab), f"wordpiece({word!r}, minilm_vocab)")
            asserts.equal(pieces, reference_wordpiece(word, vocab), f"wordpiece({word!r}) with MiniLM's vocabulary")
        return ("it cuts words as keras-hub's WordPieceTokenizer does with MiniLM's vocabulary, e.g. 'unforgettable' "
                f"-> {reference_wordpiece('unforgettable', vocab)}.")


# --------------------------------------------------------------------------------------------- q2 masking


def reference_bert_mask(token_ids, selected, draws, random_ids, mask_id):
    """BERT's rule at the selected positions: draw < 0.8 -> ``mask_id``, 0.8 <= draw < 0.9 -> the random id,
    else unchanged."""
    masked = np.where(selected & (draws < 0.8), mask_id, token_ids)
    return np.where(selected & (draws >= 0.8) & (draws < 0.9), random_ids, masked)


def _in_place(token_ids, selected, draws, random_ids, mask_id):
    token_ids[selected & (draws < 0.8)] = mask_id
    swap = selected & (draws >= 0.8) & (draws < 0.9)
    token_ids[swap] = random_ids[swap]
    return token_ids


class BertMask(Problem):
    title = "BERT's masking rule by hand: 80% [MASK], 10% random, 10% unchanged"
    answer_name = "bert_mask"
    hints = (
        "Three cases, position by position, and only where `selected` is True: draws < 0.8 -> mask_id; "
        "0.8 <= draws < 0.9 -> random_ids; else the token stays. Boolean arrays combine with & (and).",
        "np.where(condition, a, b) takes a where the condition holds and b elsewhere, and builds a NEW array "
        "(token_ids must stay as it was). Two np.where calls, one per changed case, the second applied to the "
        "first's result, cover the three cases.",
    )
    solution_code = """
import numpy as np

def bert_mask(token_ids, selected, draws, random_ids, mask_id):
    masked = np.where(selected & (draws < 0.8), mask_id, token_ids)                     # 80%: [MASK]
    return np.where(selected & (draws >= 0.8) & (draws < 0.9), random_ids, masked)      # 10%: a random token
"""
    wrong_answers = (
        (_in_place, "in place"),
        (lambda t, s, d, r, m: np.where(s, m, t), "0.8 to below 0.9"),
        (lambda t, s, d, r, m: np.where(d < 0.8, m, np.where((d >= 0.8) & (d < 0.9), r, t)), "not selected"),
        (lambda t, s, d, r, m: np.where(s & (d < 0.8), m, np.where(s & (d >= 0.8), r, t)), "unchanged"),
        (lambda t, s, d, r, m: np.where(s & (d < 0.9), m, np.where(s & (d >= 0.9), r, t)), "0.8 to below 0.9"),
        (lambda t, s, d, r, m: None, "returned None"),
    )

    def check_answer(self, answer):
        rng = np.random.default_rng(0)
        token_ids = rng.integers(5, 100, size=(4, 12))
        selected = rng.random((4, 12)) < 0.5
        draws = np.tile([0.0, 0.1, 0.3, 0.5, 0.79, 0.8, 0.85, 0.89, 0.9, 0.95, 0.99, 0.2], (4, 1))
        random_ids = token_ids + 100                   # never the original token
        mask_id = 4
        what = "bert_mask(token_ids, selected, draws, random_ids, mask_id)"
        result = asserts.array(asserts.call_with(answer, token_ids, selected, draws, random_ids, mask_id,
                                                 names=("token_ids", "selected", "draws", "random_ids")),
                               what, shape=token_ids.shape, dtype="int")
        expected = reference_bert_mask(token_ids, selected, draws, random_ids, mask_id)
        if np.any(result[~selected] != token_ids[~selected]):
            raise Incorrect("a position that is not selected changed: apply the rule only where `selected` is True")
        swap = selected & (draws >= 0.8) & (draws < 0.9)
        if np.any(result[swap] == mask_id):
            raise Incorrect("a selected position with a draw from 0.8 to below 0.9 became mask_id: those 10% take "
                            "the random_ids entry instead")
        keep = selected & (draws >= 0.9)
        if np.any(result[keep] != token_ids[keep]):
            raise Incorrect("a selected position with a draw of 0.9 or more changed: the last 10% keep the token "
                            "unchanged (the model must predict it anyway)")
        asserts.equal(result, expected, what)
        return ("that is what MaskedLMMaskGenerator does with mask_token_rate=0.8 and random_token_rate=0.1; "
                "section 2 measured the shares.")


# --------------------------------------------------------------------------------------------- q3, q4 features

_BROKEN_HEAD = '''
def train_head(features, labels):
    head = keras.Sequential([keras.Input(shape=(features.shape[1],)),
                             keras.layers.Dense(1, activation="softmax")])
    head.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    head.fit(features, labels, epochs=30, batch_size=32, verbose=0)
    return head
'''

N_TRAIN, N_TEST, LENGTH = 500, 300, 48


@functools.cache
def _features() -> dict:
    """MiniLM's sentence features (``pretrained.sentence_features``, length 48) of the first 500 Rotten Tomatoes
    training and the first 300 test sentences, with their labels."""
    from course_lib import pretrained
    from course_lib.data import load_rotten_tomatoes

    (train, y_train), _, (test, y_test) = load_rotten_tomatoes()
    encoder = pretrained.backbone()
    return read_only({"train": pretrained.sentence_features(encoder, list(train[:N_TRAIN]), sequence_length=LENGTH),
                      "test": pretrained.sentence_features(encoder, list(test[:N_TEST]), sequence_length=LENGTH),
                      "y_train": y_train[:N_TRAIN].copy(), "y_test": y_test[:N_TEST].copy()})


def _head(activation: str, units: int, loss: str, epochs: int = 30):
    def train_head(features, labels):
        import keras

        head = keras.Sequential([keras.Input(shape=(features.shape[1],)),
                                 keras.layers.Dense(units, activation=activation)])
        head.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, metrics=["accuracy"])
        head.fit(features, labels, epochs=epochs, batch_size=32, verbose=0)
        return head

    return train_head


class DebugFrozenHead(Problem):
    title = "Debug a head on frozen features that does not learn"
    kind = "debug"
    answer_name = "train_head"
    given_code = _BROKEN_HEAD
    hints = (
        "Print head.predict(features[:5]) after training. A softmax turns a layer's outputs into probabilities "
        "that sum to 1 over its units: what is the softmax of ONE number?",
        "The softmax of one number is always 1.0, so every prediction is 'positive' and no gradient reaches the "
        "weights. Which activation turns ONE number into a probability between 0 and 1, the one "
        "binary_crossentropy expects? (Two units with a softmax and sparse_categorical_crossentropy work too.)",
    )
    solution_code = """
import keras

def train_head(features, labels):
    head = keras.Sequential([keras.Input(shape=(features.shape[1],)),
                             keras.layers.Dense(1, activation="sigmoid")])     # one probability: a sigmoid
    head.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    head.fit(features, labels, epochs=30, batch_size=32, verbose=0)
    return head
"""
    wrong_answers = (
        (lambda features, labels: keras_checks.define_with_keras(_BROKEN_HEAD, "train_head")(features, labels),
         "does not depend on the input"),
        (_head("sigmoid", 1, "binary_crossentropy", epochs=0), "accuracy"),
        (_head(None, 1, "binary_crossentropy"), "between 0 and 1"),
        (lambda features, labels: None, "returned None"),
        (lambda features, labels: "head", "Keras model"),
        (_head(None, 2, "sparse_categorical_crossentropy"), "softmax"),
    )
    expects = ("a function train_head(features, labels) that returns a trained Keras model of the features "
               "(n, 384): one output (a probability, or a logit with from_logits=True) or two (softmax or logits)")

    def check_answer(self, answer):
        from course_lib.environment import import_tensorflow

        import_tensorflow().config.experimental.enable_op_determinism()  # as course_lib.setup() does
        data = _features()
        with warnings.catch_warnings(record=True) as warned:  # Keras' warnings go into the message, not stderr
            warnings.simplefilter("always")
            head = keras_checks.built_model(answer, data["train"]["mean"], data["y_train"])
            try:
                output = np.asarray(head(data["test"]["mean"][:8], training=False))
            except Exception as error:  # noqa: BLE001 - a head that cannot take the features
                raise Incorrect(f"the head cannot take a batch of features (8, 384): {type(error).__name__}: "
                                f"{str(error).splitlines()[0] if str(error) else ''}") from None
        if output.ndim != 2 or output.shape[1] not in (1, 2):
            raise Incorrect(f"the head's output should be one column (P(positive) or its logit) or two (one per "
                            f"class), shape (8, 1) or (8, 2) for 8 sentences; got {output.shape}")
        warned_too = any("softmax" in str(w.message) for w in warned)
        if output.shape[1] == 1 and np.allclose(output, 1.0):
            also = " Keras printed a warning about it that is easy to miss." if warned_too else ""
            raise Incorrect("the head gives exactly 1.0 for every sentence, before and after training: its output "
                            "does not depend on the input. Print head.predict(features[:5]) and look at what the "
                            f"last layer's activation does to a single number.{also}")
        probabilities = self._positive(head, data["test"]["mean"], output.shape[1])
        accuracy = float(np.mean((probabilities >= 0.5) == data["y_test"]))
        if accuracy < 0.65:
            raise Incorrect(f"the head reaches test accuracy {accuracy:.3f} on the 300 sentences; a head that learns "
                            "reaches 0.65 at least. Keep the listing's training (Adam 1e-2, 30 epochs)")
        return (f"test accuracy {accuracy:.3f} on 300 sentences from frozen features. A softmax over one unit is a "
                "quiet bug: no error, a loss that does not move, and an accuracy stuck at the share of one label.")

    @staticmethod
    def _positive(head, features, columns: int):
        """P(positive) from the head's output, for each accepted form: (n, 1) probability or logit (the compiled
        loss says which), (n, 2) softmax or logits (argmax either way)."""
        output = np.asarray(head.predict(features, verbose=0))
        loss = getattr(head, "loss", None)
        from_logits = bool(getattr(loss, "get_config", lambda: {})().get("from_logits", False))
        activation = getattr(getattr(head.layers[-1], "activation", None), "__name__", "") if head.layers else ""
        if from_logits and activation in ("sigmoid", "softmax"):
            raise Incorrect(f"the head ends with a {activation} AND its loss is told it gets logits "
                            f"(from_logits=True): the {activation} is applied twice, and the head learns little. "
                            "Keep one: no activation with from_logits=True, or the activation without it")
        if columns == 2:
            if not from_logits and (output.min() < 0 or not np.allclose(output.sum(axis=1), 1, atol=1e-3)):
                raise Incorrect("with two outputs and a loss that expects probabilities, each row should be a "
                                "softmax (two probabilities summing to 1): end with activation=\"softmax\", or "
                                "pass from_logits=True to the loss")
            return (output[:, 1] > output[:, 0]).astype(float)
        if from_logits:
            return 1 / (1 + np.exp(-output[:, 0]))
        if output.min() < 0 or output.max() > 1:
            raise Incorrect("the head's outputs should be probabilities between 0 and 1 (a sigmoid) for a loss that "
                            "compares probabilities with the labels, or the loss should be told it gets logits "
                            "(from_logits=True)")
        return output[:, 0]


def _pooling_accuracies() -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    data = _features()
    return {name: float(LogisticRegression(max_iter=2000).fit(data["train"][name], data["y_train"])
                        .score(data["test"][name], data["y_test"]))
            for name in ("mean", "cls")}


class PoolingExperiment(Problem):
    title = "Experiment: the mean of the tokens or the [CLS] token as frozen features?"
    kind = "experiment"
    answer_name = "pooling_report"
    hints = (
        "`encoder = pretrained.backbone()`, then `pretrained.sentence_features(encoder, list(rt_train[:500]), "
        "sequence_length=48)` and the same for `list(rt_test[:300])`: each is a dict with 'mean' and 'cls' "
        "arrays of shape (n, 384).",
        "For each name in ('mean', 'cls'), fit a LogisticRegression(max_iter=2000) on the 500 training "
        "features of that name and score it on the 300 test ones. The conclusion names the vector that scored "
        "higher under 'better', and the conclusion says why that fits how all-MiniLM-L6-v2 was trained "
        "(section 3).",
    )
    solution_code = """
from sklearn.linear_model import LogisticRegression

from course_lib import pretrained
from course_lib.data import load_rotten_tomatoes

(train_texts, train_labels), _, (test_texts, test_labels) = load_rotten_tomatoes()
encoder = pretrained.backbone()                       # fresh weights: the chapter's backbone was fine-tuned
train = pretrained.sentence_features(encoder, list(train_texts[:500]), sequence_length=48)
test = pretrained.sentence_features(encoder, list(test_texts[:300]), sequence_length=48)
accuracy = {name: LogisticRegression(max_iter=2000).fit(train[name], train_labels[:500])
                  .score(test[name], test_labels[:300]) for name in ("mean", "cls")}
pooling_report = {
    "mean": accuracy["mean"],
    "cls": accuracy["cls"],
    "better": max(accuracy, key=accuracy.get),
    "conclusion": "all-MiniLM-L6-v2 was trained to describe a sentence by the mean of its token vectors, "
                  "not by its [CLS] vector",
}
"""
    wrong_answers = (
        ({"mean": 0.5, "cls": 0.5, "better": "mean", "conclusion": "they are the same on this data"}, "should be"),
        ({"mean": 75.0, "cls": 70.0, "better": "mean", "conclusion": "the mean is better than cls"},
         "between 0 and 1"),
        ({"mean": 0.75, "cls": 0.70}, "'conclusion'"),
        ({"mean": 0.75, "cls": 0.70, "better": "mean", "conclusion": "mean"}, "one line"),
        ((0.75, 0.70), "as a dict"),
        # the measured numbers (the check's own recomputation gives them), read the wrong way round
        ({"mean": 0.723, "cls": 0.667, "better": "cls", "conclusion": "the cls vector is better for a linear model"},
         "scored higher"),
        ({"mean": 0.723, "cls": 0.667, "conclusion": "the mean vector scored higher"}, "'better'"),
    )
    expects = ('a dict {"mean": accuracy, "cls": accuracy, "better": "mean" or "cls", "conclusion": "one line"}')

    def check_answer(self, answer):
        report = asserts.findings(answer, "the two test accuracies", ("mean", "cls"))
        if any(report[name] > 1.0 for name in ("mean", "cls")):
            raise Incorrect("accuracies lie between 0 and 1 (LogisticRegression.score gives a share); these look "
                            "like percentages")
        expected = _pooling_accuracies()
        for name in ("mean", "cls"):
            if not np.isclose(report[name], expected[name], atol=0.011):
                raise Incorrect(f"the accuracy with the {name!r} features should be {expected[name]:.3f} (500 training "
                                f"and 300 test sentences, sequence length 48, LogisticRegression(max_iter=2000)), "
                                f"got {report[name]:.3f}")
        better = max(expected, key=expected.get)
        worse = "cls" if better == "mean" else "mean"
        if "better" not in answer:
            raise Incorrect("the numbers are right; add which vector scored higher under 'better' (\"mean\" or "
                            "\"cls\"), and say in the conclusion why that fits how MiniLM was trained")
        said = str(answer["better"]).strip().strip("[]").lower()
        if said != better:
            raise Incorrect(f"the numbers are right, but 'better' says {answer['better']!r}: the {better!r} vector "
                            f"scored higher ({expected[better]:.3f} against {expected[worse]:.3f})")
        return (f"the course reads it so: on these sentences the {better!r} vector scored higher "
                f"({expected['mean']:.3f} for the mean vs {expected['cls']:.3f} for [CLS]), on one split of 500 and "
                "300 sentences. all-MiniLM-L6-v2 was trained on sentence pairs to describe a sentence by the MEAN of "
                "its token vectors; the [CLS] vector is one token's, and that training never asked it to stand for "
                "the sentence.")


# --------------------------------------------------------------------------------------------- q5 LoRA budget

LORA_BUDGET = 100_000


def _lora_maker(rank=None, targets=None, freeze_backbone=False, what="classifier", loss=None, rate=1e-2):
    def make_lora_classifier():
        import keras

        from course_lib import pretrained

        model = pretrained.classifier(num_classes=2, sequence_length=48, encoder=pretrained.backbone())
        if freeze_backbone:
            model.backbone.trainable = False
        if rank is not None:
            model.backbone.enable_lora(rank=rank, target_layer_names=targets)
        model.compile(optimizer=keras.optimizers.AdamW(rate),
                      loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model.backbone if what == "backbone" else model

    return make_lora_classifier


class LoraBudget(Problem):
    title = "Build a LoRA classifier that trains at most 100,000 weights"
    kind = "build"
    answer_name = "make_lora_classifier"
    expects = ("a function make_lora_classifier() that returns a compiled keras-hub text classifier of MiniLM "
               "(pretrained.classifier) with LoRA switched on, training at most 100,000 weights")
    hints = (
        "Start from section 7: `pretrained.classifier(num_classes=2, sequence_length=48, "
        "encoder=pretrained.backbone())`, then `model.backbone.enable_lora(rank=...)`, then compile. Count "
        "`model.trainable_weights` for rank 4: section 7 printed what it trains, kind by kind.",
        "With rank r on the query and value projections of 6 layers, A is (384, 12, r) and B is (r, 32) in each: "
        "6 x 2 x (384 x 12 x r + 32 x r) adapter weights, plus the biases of those projections and the head. "
        "Which r fits under 100,000? `enable_lora(rank, target_layer_names=[...])` can also pick fewer layers "
        "(their names are in `backbone.default_lora_layer_names()`).",
    )
    solution_code = """
import keras

from course_lib import pretrained

def make_lora_classifier():
    model = pretrained.classifier(num_classes=2, sequence_length=48, encoder=pretrained.backbone())
    model.backbone.enable_lora(rank=1)        # 6 x 2 x (384 x 12 + 32) = 55,680 adapter weights
    model.compile(optimizer=keras.optimizers.AdamW(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model
"""
    wrong_answers = (
        (_lora_maker(rank=4), "228,098"),
        (_lora_maker(rank=None), "22,713,986"),
        (_lora_maker(rank=None, freeze_backbone=True), "no LoRA"),
        (_lora_maker(rank=2), "116,738"),
        (_lora_maker(rank=1, what="backbone"), "classifier"),
        (lambda: None, "returned None"),
        (_lora_maker(rank=1, loss="sparse_categorical_crossentropy"), "from_logits"),
        (_lora_maker(rank=1, rate=0.0), "did not move"),
    )

    def check_answer(self, answer):
        import keras

        from course_lib.data import load_rotten_tomatoes

        if isinstance(answer, keras.Model):
            raise Incorrect("that is a model; pass the function that makes it, without calling it: "
                            "ex.q5.check(make_lora_classifier)")
        model = keras_checks.built_model(answer)
        if not hasattr(model, "backbone") or not hasattr(model, "output_dense"):
            raise Incorrect(f"make_lora_classifier() should return the whole classifier (pretrained.classifier(...), "
                            f"a {type(model).__name__} has no backbone and head): the head is trained too")
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        adapters = [w for w in model.trainable_weights if "lora_kernel" in w.path]
        if not adapters:
            raise Incorrect(f"the model trains {trainable:,} weights and has no LoRA adapter: call "
                            "model.backbone.enable_lora(rank=...) (it freezes the rest of the backbone itself)")
        if trainable > LORA_BUDGET:
            raise Incorrect(f"the model trains {trainable:,} weights; the budget is {LORA_BUDGET:,}. Count what "
                            "each adapter adds for your rank (hint 2) and lower it, or adapt fewer layers")
        loss = getattr(model, "loss", None)
        loss_config = loss.get_config() if hasattr(loss, "get_config") else {}
        if isinstance(loss, str) or not loss_config.get("from_logits", False):
            raise Incorrect("the classifier outputs logits (its head has no softmax), but the compiled loss reads "
                            "its input as probabilities: compile with a loss told from_logits=True, e.g. "
                            "keras.losses.SparseCategoricalCrossentropy(from_logits=True)")
        (texts, labels), _, _ = load_rotten_tomatoes()
        frozen = [w for w in model.weights if w.path.endswith("query/kernel")][:1]
        watched = frozen + adapters[1:2]
        before = [keras.ops.convert_to_numpy(w).copy() for w in watched]
        with warnings.catch_warnings():               # keras-hub's note on shuffling a dataset: not the learner's
            warnings.simplefilter("ignore")
            history = keras_checks.fit_briefly(model, list(texts[:64]), labels[:64], epochs=1, batch_size=16)
        losses = history.history["loss"]
        if not np.isfinite(losses[-1]):
            raise Incorrect(f"training gave a loss of {losses[-1]}: check the loss and the learning rate")
        if not np.array_equal(keras.ops.convert_to_numpy(watched[0]), before[0]):
            raise Incorrect("a pretrained kernel changed during training: with LoRA only the adapters, "
                            "the biases of the adapted layers and the head should train")
        if np.array_equal(keras.ops.convert_to_numpy(watched[1]), before[1]):
            raise Incorrect("after four batches of training the LoRA adapters did not move: is the learning rate 0, "
                            "or the optimizer told not to update them?")
        return (f"{trainable:,} trained weights ({len(adapters) // 2} adapted projections), "
                f"{trainable / 22_713_986:.2%} of full fine-tuning; Adam and AdamW keep two more numbers for each.")


PROBLEMS = [WordPiece, BertMask, DebugFrozenHead, PoolingExperiment, LoraBudget]
