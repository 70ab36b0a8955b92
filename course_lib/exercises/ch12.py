"""Chapter 12 exercises: a sampler's distribution (temperature, then top-p), a causal decoder block to a contract,
training pairs whose targets are not shifted, and temperature against the diversity of generated text."""

from __future__ import annotations

import functools
import re

import numpy as np

from course_lib.exercises import asserts, keras_checks
from course_lib.exercises.core import Incorrect, Problem, define, read_only

# ------------------------------------------------------------------------------------- q1 a sampler by hand

_LOGITS = (
    np.array([2.0, 0.5, 1.2, -1.0, 0.9, 3.1, -0.3, 0.0]),
    np.array([0.3, -2.0, 4.0, 1.1, 1.0, -0.5, 2.2, 0.7, -1.3, 0.05]),
    np.array([1.0, 1.4, 0.6, 0.2]),
)
_SETTINGS = ((1.0, 0.9), (0.5, 0.8), (2.0, 0.6), (1.0, 1.0), (0.7, 0.3))


def _softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def _nucleus(probs, p, inclusive=False, ascending=False):
    order = np.argsort(probs if ascending else -probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    keep_sorted = cumulative <= p if inclusive else cumulative - probs[order] < p
    keep = np.zeros(len(probs), dtype=bool)
    keep[order[keep_sorted]] = True
    return np.where(keep, probs, 0.0)


def _reference_probs(logits, temperature, top_p):
    kept = _nucleus(_softmax(np.asarray(logits, dtype=np.float64) / temperature), top_p)
    return kept / kept.sum()


def _sampler(temperature_of=lambda z, t: z / t, filter_first=False, inclusive=False, ascending=False,
             normalise=True, in_place=False, use_top_p=True):
    def next_token_probs(logits, temperature, top_p):
        z = logits if in_place else np.array(logits, dtype=np.float64)
        if filter_first:
            kept = _nucleus(_softmax(z), top_p) > 0
            probs = np.where(kept, _softmax(temperature_of(z, temperature)), 0.0)
        else:
            if in_place:
                z /= temperature
                probs = _softmax(z)
            else:
                probs = _softmax(temperature_of(z, temperature))
            if use_top_p:
                probs = _nucleus(probs, top_p, inclusive=inclusive, ascending=ascending)
        return probs / probs.sum() if normalise else probs

    return next_token_probs


def _filtered_logits(logits, temperature, top_p):
    z = np.asarray(logits, dtype=np.float64) / temperature
    return np.where(_nucleus(_softmax(z), top_p) > 0, z, -np.inf)


class NextTokenProbs(Problem):
    title = "A sampler by hand: temperature, then top-p"
    answer_name = "next_token_probs"
    expects = ("a function next_token_probs(logits, temperature, top_p) that returns the probabilities to sample "
               "from: a 1-D array as long as logits, summing to 1")
    hints = (
        "Two steps, in this order (section 4): divide the logits by the temperature and take their softmax; then "
        "keep the most likely tokens while the tokens before them, most likely first, sum to less than top_p.",
        "np.argsort(-probs) orders the tokens from the most likely; np.cumsum(sorted) - sorted is the mass of the "
        "tokens before each one. Zero the others and divide by the sum of what is left.",
    )
    solution_code = """
import numpy as np

def next_token_probs(logits, temperature, top_p):
    z = np.asarray(logits, dtype=np.float64) / temperature        # the temperature first
    probs = np.exp(z - z.max())
    probs = probs / probs.sum()                                    # softmax
    order = np.argsort(-probs)                                     # most likely first
    before = np.cumsum(probs[order]) - probs[order]                # the mass of the tokens before each
    keep = np.zeros(len(probs), dtype=bool)
    keep[order[before < top_p]] = True                             # the nucleus
    probs = np.where(keep, probs, 0.0)
    return probs / probs.sum()
"""
    wrong_answers = (
        (_sampler(temperature_of=lambda z, t: z * t), "multiplied"),
        (_sampler(filter_first=True), "after the temperature"),
        (_sampler(normalise=False), "sum to"),
        (_sampler(inclusive=True), "smallest set"),
        (_sampler(ascending=True), "least likely"),
        (_sampler(use_top_p=False), "every token"),
        (_sampler(in_place=True), "changed its input"),
        (_filtered_logits, "probabilities"),
    )

    def check_answer(self, answer):
        for logits in _LOGITS:
            for temperature, top_p in _SETTINGS:
                what = f"next_token_probs(logits, temperature={temperature}, top_p={top_p})"
                given = logits.copy()
                result = asserts.call_with(answer, given, temperature, top_p, names=("logits",))
                got = asserts.array(result, what, shape=logits.shape)
                got = np.asarray(got, dtype=np.float64)
                if not np.all(np.isfinite(got)) or np.any(got < 0):
                    raise Incorrect(f"{what} returned {np.round(got, 3)}: return probabilities (non-negative, "
                                    "summing to 1) to sample from, not logits")
                if abs(got.sum() - 1) > 1e-6:
                    raise Incorrect(f"{what} returns values that sum to {got.sum():.4f}: after zeroing the tokens "
                                    "outside the nucleus, divide by the sum of what is left")
                expected = _reference_probs(logits, temperature, top_p)
                if np.allclose(got, expected, atol=1e-6):
                    continue
                self._diagnose(answer, got, logits, temperature, top_p, what)
        return ("the temperature reshapes the whole distribution, and top-p then cuts its tail: at temperature 2 "
                "more tokens share the same top_p, at 0.5 fewer.")

    @staticmethod
    def _diagnose(answer, got, logits, temperature, top_p, what):
        probs = _softmax(np.asarray(logits, dtype=np.float64) / temperature)
        probe = np.asarray(asserts.call_with(answer, _LOGITS[0].copy(), 1.0, 0.3), dtype=np.float64)
        least = _nucleus(_softmax(_LOGITS[0]), 0.3, ascending=True)
        if probe.shape == least.shape and np.allclose(probe, least / least.sum(), atol=1e-6):
            raise Incorrect("next_token_probs(logits, temperature=1.0, top_p=0.3) kept the least likely tokens and "
                            "dropped the most likely one: order the tokens from the most likely (np.argsort(-probs))")
        kept, expected_kept = got > 0, _reference_probs(logits, temperature, top_p) > 0
        if temperature != 1 and np.allclose(got, _reference_probs(logits, 1 / temperature, top_p), atol=1e-6):
            raise Incorrect(f"{what} gives what a temperature of {1 / temperature:g} should: the logits were "
                            "multiplied by the temperature. Divide them: a temperature above 1 flattens the "
                            "distribution, below 1 sharpens it")
        if kept.all() and not expected_kept.all():
            raise Incorrect(f"{what} kept every token; top-p keeps only the most likely ones whose probabilities "
                            f"reach {top_p} ({int(expected_kept.sum())} of {len(got)} here)")
        if np.array_equal(kept, expected_kept):
            raise Incorrect(f"{what} keeps the right tokens with the wrong probabilities: {np.round(got, 3)}, "
                            f"expected {np.round(_reference_probs(logits, temperature, top_p), 3)}. The kept "
                            "tokens keep their proportions after the temperature's softmax, renormalised")
        untempered = _nucleus(_softmax(logits), top_p) > 0
        if np.array_equal(kept, untempered):
            raise Incorrect(f"{what} keeps tokens {np.flatnonzero(kept).tolist()}, the nucleus of the distribution "
                            f"before the temperature; choose it after the temperature (keep "
                            f"{np.flatnonzero(expected_kept).tolist()}), as keras-hub's TopPSampler does")
        mass = probs[kept].sum()
        if kept.sum() < expected_kept.sum() and set(np.flatnonzero(kept)) <= set(np.flatnonzero(expected_kept)):
            raise Incorrect(f"{what} keeps {int(kept.sum())} tokens whose probabilities sum to {mass:.3f}, less "
                            f"than top_p = {top_p}: the nucleus is the smallest set of most likely tokens that "
                            "reaches top_p, so it includes the token that crosses it")
        if probs[kept].max(initial=0) < probs.max():
            raise Incorrect(f"{what} dropped the most likely token, which top-p always keeps")
        raise Incorrect(f"{what} keeps tokens {np.flatnonzero(kept).tolist()}, expected "
                        f"{np.flatnonzero(expected_kept).tolist()} with probabilities "
                        f"{np.round(_reference_probs(logits, temperature, top_p), 3).tolist()}")


# ------------------------------------------------------------------------------ q2 a causal decoder block

D_MODEL, HEADS, BLOCK_TIME = 32, 4, 12
CUT = 6                                  # the causality check changes positions CUT.. and reads positions ..CUT-1
COPY_VOCAB, COPY_TIME, COPY_SEQUENCES = 8, 8, 3000


def _block_parameters(d_model: int) -> int:
    attention = 4 * (d_model * d_model + d_model)
    norms = 2 * 2 * d_model
    feed_forward = d_model * 4 * d_model + 4 * d_model + 4 * d_model * d_model + d_model
    return attention + norms + feed_forward


def _block(causal=True, attention=True, width=4, mask=None, pool=False, norms=True):
    def causal_block(d_model, num_heads):
        import keras
        from keras import layers

        inputs = keras.Input(shape=(None, d_model))
        x = inputs
        if attention:
            h = layers.LayerNormalization(epsilon=1e-5)(x) if norms else x
            mha = layers.MultiHeadAttention(num_heads, d_model // num_heads)
            if mask == "self":
                eye = layers.Lambda(lambda t: keras.ops.eye(keras.ops.shape(t)[1], dtype="bool")[None])(h)
                h = mha(h, h, attention_mask=eye)
            else:
                h = mha(h, h, use_causal_mask=causal)
            x = layers.Add()([x, h])
        h = layers.LayerNormalization(epsilon=1e-5)(x) if norms else x
        h = layers.Dense(width * d_model, activation="relu")(h)
        x = layers.Add()([x, layers.Dense(d_model)(h)])
        if pool:
            x = layers.GlobalAveragePooling1D()(x)
        return keras.Model(inputs, x)

    return causal_block


@functools.cache
def _copy_task():
    """Sequences of random tokens (3000, 8) and their targets, the token before each (position 0: itself)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, COPY_VOCAB, size=(COPY_SEQUENCES, COPY_TIME)).astype("int32")
    y = np.concatenate([x[:, :1], x[:, :-1]], axis=1)
    return read_only((x, y))


def _copy_accuracy(block_model) -> float:
    """Train a tiny language model around the block to output the previous token; its accuracy at positions 1-7."""
    import keras
    import keras_hub

    x, y = _copy_task()
    inputs = keras.Input(shape=(COPY_TIME,), dtype="int32")
    h = keras_hub.layers.TokenAndPositionEmbedding(COPY_VOCAB, COPY_TIME, D_MODEL)(inputs)
    logits = keras.layers.Dense(COPY_VOCAB)(block_model(h))
    model = keras.Model(inputs, logits)
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    keras_checks.fit_briefly(model, x[:2500], y[:2500], epochs=4, batch_size=50)
    predicted = np.asarray(model(x[2500:], training=False)).argmax(axis=-1)
    return float((predicted[:, 1:] == y[2500:, 1:]).mean())


class CausalBlock(Problem):
    title = "Build a causal decoder block to a contract"
    kind = "build"
    answer_name = "causal_block"
    expects = ("a function causal_block(d_model, num_heads) that returns a Keras model taking (batch, time, d_model) "
               "and returning the same shape")
    hints = (
        "Section 3's decoder_block, as a functional model: keras.Input(shape=(None, d_model)); a LayerNormalization; "
        "MultiHeadAttention(num_heads, d_model // num_heads) with the normalised input as query and value; add "
        "the result to the input; then a second LayerNormalization, Dense(4 * d_model, activation='relu'), "
        "Dense(d_model), added to what came in.",
        "The attention must not read later positions: its call takes an argument that builds the mask for you "
        "(chapter 05, section 4). Adding tensors in a functional model: layers.Add()([a, b]).",
    )
    solution_code = """
import keras
from keras import layers

def causal_block(d_model, num_heads):
    inputs = keras.Input(shape=(None, d_model))
    h = layers.LayerNormalization(epsilon=1e-5)(inputs)
    h = layers.MultiHeadAttention(num_heads, d_model // num_heads)(h, h, use_causal_mask=True)
    x = layers.Add()([inputs, h])                                   # residual around the attention
    h = layers.LayerNormalization(epsilon=1e-5)(x)
    h = layers.Dense(4 * d_model, activation="relu")(h)
    h = layers.Dense(d_model)(h)
    outputs = layers.Add()([x, h])                                  # residual around the feed-forward network
    return keras.Model(inputs, outputs)
"""
    wrong_answers = (
        (_block(causal=False), "sees the future"),
        (_block(attention=False), "attention"),
        (_block(width=2), "parameters"),
        (_block(pool=True), "shape"),
        (_block(mask="self"), "previous token"),
        (_block(norms=False), "LayerNormalization"),
    )

    def check_answer(self, answer):

        model = keras_checks.built_model(answer, D_MODEL, HEADS)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, BLOCK_TIME, D_MODEL)).astype("float32")
        before = keras_checks.output_shape(model, x, (2, BLOCK_TIME, D_MODEL), "the block's output")
        kinds = {type(layer).__name__ for layer in keras_checks.layers_of(model)}
        if not any("Attention" in kind or "TransformerDecoder" in kind for kind in kinds):
            raise Incorrect(f"the block has no attention layer (its layers: {sorted(kinds)}): without one, a "
                            "position cannot read any other. Add MultiHeadAttention before the feed-forward part")
        expected = _block_parameters(D_MODEL)
        count = model.count_params()
        if count != expected and "LayerNormalization" not in kinds:
            raise Incorrect(f"the block has no LayerNormalization: the contract is section 3's pre-norm block, "
                            f"one normalisation before the attention and one before the feed-forward network "
                            f"({count:,} parameters, expected {expected:,})")
        if count != expected:
            raise Incorrect(f"with d_model={D_MODEL} and {HEADS} heads the block has {count:,} parameters, expected "
                            f"{expected:,}: attention (query, key, value and output projections), two layer "
                            f"normalisations, and a feed-forward network of {4 * D_MODEL} units (4 x d_model) back "
                            f"to {D_MODEL}")
        changed = x.copy()
        changed[:, CUT:] = rng.normal(size=(2, BLOCK_TIME - CUT, D_MODEL))
        after = np.asarray(model(changed, training=False))
        moved = np.abs(after[:, :CUT] - before[:, :CUT]).max(axis=(0, 2))
        if moved.max() > 1e-4:
            first = int(np.argmax(moved > 1e-4))
            raise Incorrect(f"the block sees the future: changing only positions {CUT}-{BLOCK_TIME - 1} changed the "
                            f"output at position {first} (by up to {moved.max():.2g}). In training the next token "
                            "would be in view; MultiHeadAttention takes use_causal_mask=True")
        accuracy = _copy_accuracy(model)
        if accuracy < 0.9:
            raise Incorrect(f"a tiny language model around your block (embeddings, the block, a Dense layer) learned "
                            f"to output the previous token at only {accuracy:.0%} of positions after 4 epochs (the "
                            f"course's block: over 90%). A causal block can read the previous token; check that each "
                            "position's attention can reach the positions before it, not only itself")
        return (f"causal (positions 0-{CUT - 1} ignore later changes), {count:,} parameters as the contract says, "
                f"and it learned to copy the previous token at {accuracy:.0%} of positions: reading earlier "
                "positions is what attention adds to the feed-forward network.")


# ----------------------------------------------------------------------- q3 debug: targets that are not shifted

_BROKEN_PAIRS = '''
def training_pairs(token_ids, context):
    ids = np.asarray(token_ids)
    starts = range(0, len(ids) - context, context)
    x = np.stack([ids[s:s + context] for s in starts])
    y = np.stack([ids[s:s + context] for s in starts])
    return x, y
'''
PAIRS_CONTEXT = 16


@functools.cache
def _random_ids() -> np.ndarray:
    return read_only(np.random.default_rng(0).integers(0, 500, size=2000))


def _pairs(shift=1, stride=None, roll=False, short=False):
    def training_pairs(token_ids, context):
        ids = np.asarray(token_ids)
        step = stride or context
        starts = range(max(0, -shift), len(ids) - context - max(shift, 0), step)
        x = np.stack([ids[s:s + context] for s in starts])
        if roll:
            y = np.roll(x, -1, axis=1)
        else:
            y = np.stack([ids[s + shift:s + shift + context - (1 if short else 0)] for s in starts])
        return x, y

    return training_pairs


@functools.cache
def _unshifted_symptom() -> tuple[float, float, str]:
    """What training on unshifted pairs looks like: a tiny character model's training loss after 150 steps with the
    broken pairs and with shifted ones, and the broken model's greedy continuation of a prompt."""
    import keras

    from course_lib import gpt
    from course_lib.data import load_imdb
    from course_lib.ngram import to_alphabet

    (reviews, _), _, _ = load_imdb()
    text = "\n".join(to_alphabet(review) for review in reviews[:60])
    alphabet = sorted(set(text))
    ids = np.array([alphabet.index(char) for char in text])
    losses = []
    for fixed in (False, True):
        x, y = _pairs(shift=1 if fixed else 0, stride=8)(ids, 32)
        model = gpt.gpt_model(len(alphabet), 32, d_model=32, num_heads=2, num_blocks=1)
        model.compile(optimizer=keras.optimizers.Adam(3e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = keras_checks.fit_briefly(model, x[:4800], y[:4800], epochs=1, batch_size=32)
        losses.append(history.history["loss"][-1])
        if not fixed:
            prompt = [alphabet.index(char) for char in "The acting was "]
            for _ in range(20):
                prompt.append(int(np.asarray(model(np.array([prompt[-32:]]), training=False))[0, -1].argmax()))
            continuation = "".join(alphabet[i] for i in prompt[-20:])
    return losses[0], losses[1], continuation


class DebugTargets(Problem):
    title = "Debug training pairs that make the loss fall too far"
    kind = "debug"
    answer_name = "training_pairs"
    given_code = _BROKEN_PAIRS
    expects = ("a function training_pairs(token_ids, context) that returns (x, y): two int arrays of shape "
               "(windows, context)")
    hints = (
        "Run the check on the listing as it is. A training loss near zero on English text means the answer was in "
        "the input. What must the model predict at position t of a window, and where is that token in ids?",
        "Compare y[0] with x[0] position by position, and with ids[1:17]: at each position the target is the "
        "token that follows the input's token in the text. Mind the last window: it needs one more token after it.",
    )
    solution_code = """
import numpy as np

def training_pairs(token_ids, context):
    ids = np.asarray(token_ids)
    starts = range(0, len(ids) - context, context)                 # each window has a next token after it
    x = np.stack([ids[s:s + context] for s in starts])
    y = np.stack([ids[s + 1:s + 1 + context] for s in starts])     # targets: the same window, one token on
    return x, y
"""
    wrong_answers = (
        (lambda ids, context: define(_BROKEN_PAIRS, "training_pairs", {"np": np})(ids, context), "nats"),
        (_pairs(shift=2), "two tokens"),
        (_pairs(shift=-1), "before"),
        (_pairs(roll=True), "wraps"),
        (_pairs(short=True), "shape"),
        (lambda ids, context: _pairs()(ids, context + 1), "(windows, 16)"),
    )

    def check_answer(self, answer):
        ids = _random_ids()
        given = np.array(ids)
        result = asserts.call_with(answer, given, PAIRS_CONTEXT, names=("token_ids",))
        x, y = asserts.parts(result, f"training_pairs(token_ids, {PAIRS_CONTEXT})", ("x", "y"))
        x = asserts.array(x, "x")
        y = asserts.array(y, "y")
        if x.ndim != 2 or x.shape[1] != PAIRS_CONTEXT:
            raise Incorrect(f"x should have shape (windows, {PAIRS_CONTEXT}), got {x.shape}")
        if y.shape != x.shape:
            raise Incorrect(f"y should have the shape of x, {x.shape}: one target for every input position; got "
                            f"{y.shape}")
        if len(x) < len(ids) // PAIRS_CONTEXT - 2:
            raise Incorrect(f"{len(x)} windows from {len(ids)} tokens: cover the text (at least "
                            f"{len(ids) // PAIRS_CONTEXT - 2} windows of {PAIRS_CONTEXT})")
        starts = {tuple(ids[s:s + PAIRS_CONTEXT]): s for s in range(len(ids) - PAIRS_CONTEXT + 1)}
        for row, (inputs, targets) in enumerate(zip(x, y, strict=True)):
            start = starts.get(tuple(inputs.tolist()))
            if start is None:
                raise Incorrect(f"row {row} of x is not a window of {PAIRS_CONTEXT} consecutive tokens of token_ids")
            if start + PAIRS_CONTEXT >= len(ids):
                raise Incorrect(f"row {row} of x is the last {PAIRS_CONTEXT} tokens: no token follows its last "
                                "position, so it has no target. Stop the windows one token earlier")
            following = ids[start + 1:start + 1 + PAIRS_CONTEXT]
            if np.array_equal(targets, following):
                continue
            if np.array_equal(targets, inputs):
                broken, fixed, continuation = _unshifted_symptom()
                raise Incorrect(f"trained on pairs made this way, a small character model's training loss fell to "
                                f"{broken:.1f} nats a character in 150 steps (the same model on pairs built "
                                f"correctly: {fixed:.1f}), and it then continues 'The acting was ' with "
                                f"{continuation!r}. A loss that low on English text means the answer is in the "
                                "input. Compare y with x: what should the target at each position be?")
            two_on = ids[start + 2:start + 2 + PAIRS_CONTEXT]
            if len(two_on) == PAIRS_CONTEXT and np.array_equal(targets, two_on):
                raise Incorrect(f"row {row}: each target is two tokens after its input; the model predicts the "
                                "next token, one position on")
            if start >= 1 and np.array_equal(targets, ids[start - 1:start - 1 + PAIRS_CONTEXT]):
                raise Incorrect(f"row {row}: each target is the token before its input, which the model has already "
                                "read; the target is the token after it")
            if np.array_equal(targets[:-1], following[:-1]):
                raise Incorrect(f"row {row}: every target is right but the last, {targets[-1]} instead of "
                                f"{following[-1]}: the last target is the token after the window in the text, "
                                "not the window's first token again (np.roll wraps around)")
            raise Incorrect(f"row {row}: the targets {targets[:6].tolist()}... should be the tokens that follow the "
                            f"inputs in the text, {following[:6].tolist()}...")
        return (f"{len(x)} windows, each target one token on: a model trained on them cannot copy its answer, and "
                "its loss measures prediction.")


# ------------------------------------------------------------------- q4 experiment: temperature and diversity

TEMPERATURES = {"low": 0.5, "mid": 1.0, "high": 1.5}
PROMPT, LENGTH = "The movie ", 1000
_NAMES = tuple(f"{stat}_{level}" for stat in ("distinct", "repeated") for level in TEMPERATURES)


@functools.cache
def _diversity() -> dict:
    from course_lib.data import load_imdb
    from course_lib.ngram import KneserNeyLM, distinct_n, repeated_share, to_alphabet

    (reviews, _), _, _ = load_imdb()
    text, used = "", 0
    while len(text) < 200_000:
        text += ("\n" if text else "") + to_alphabet(reviews[used])
        used += 1
    lm = KneserNeyLM(order=4).fit(text[:200_000])
    found = {}
    for level, temperature in TEMPERATURES.items():
        sample = lm.generate(PROMPT, LENGTH, temperature=temperature, seed=0)
        found[f"distinct_{level}"] = distinct_n(sample.split(), 2)
        found[f"repeated_{level}"] = repeated_share(sample, 8)
        found[f"chars_{level}"] = distinct_n(sample, 2)
        found[f"rep4_{level}"] = repeated_share(sample, 4)
    return found


_RISES = ("rises", "rise", "increases", "increase", "grows", "goes up", "higher", "more diverse", "more varied")
_FALLS = ("falls", "fall", "decreases", "decrease", "drops", "goes down", "lower", "less repetit", "fewer repeat",
          "repeats less", "less often")


_TEMPERATURE_PHRASE = re.compile(r"(\b\w+\s+)?(the\s+)?temperatures?(\s+(rises|rise|increases|increase|grows|goes up|"
                                 r"is raised|is higher|is lower|falls|drops))?", re.I)


def _direction(conclusion: str, about) -> str | None:
    """The direction (a phrase of _RISES or _FALLS) the conclusion gives for ``about``, the temperature's own
    direction left out ("as the temperature rises", "higher temperatures")."""
    text = _TEMPERATURE_PHRASE.sub(" ", conclusion)
    for part in re.split(r"\band\b", text):
        said = asserts.states(part, _RISES + _FALLS, about)
        if said is not None:
            return said
    return None


def _report(values, conclusion):
    return {**dict(zip(_NAMES, values, strict=True)), "conclusion": conclusion}


class TemperatureDiversity(Problem):
    title = "Experiment: temperature against diversity and repetition"
    kind = "experiment"
    answer_name = "temperature_report"
    expects = ("a dict with six numbers, 'distinct_low', 'distinct_mid', 'distinct_high', 'repeated_low', "
               "'repeated_mid', 'repeated_high', and a one-line 'conclusion'")
    hints = (
        "lm = KneserNeyLM(order=4).fit(train_text[:200_000]); for each temperature, sample = lm.generate('The movie ', "
        "1000, temperature=T, seed=0); distinct_n(sample.split(), 2) counts word pairs, repeated_share(sample, 8) "
        "8-character sequences.",
        "Say in the conclusion which way each measure goes as the temperature rises (distinct-2 rises or falls; "
        "repetition rises or falls), as your numbers show.",
    )
    solution_code = """
from course_lib.data import load_imdb
from course_lib.ngram import KneserNeyLM, distinct_n, repeated_share, to_alphabet

(train_reviews, _), _, _ = load_imdb()                    # section 2's text: its first 200,000 characters
train_text = "\\n".join(to_alphabet(review) for review in train_reviews[:400])
lm = KneserNeyLM(order=4).fit(train_text[:200_000])
temperature_report = {}
for level, temperature in {"low": 0.5, "mid": 1.0, "high": 1.5}.items():
    sample = lm.generate("The movie ", 1000, temperature=temperature, seed=0)
    temperature_report[f"distinct_{level}"] = distinct_n(sample.split(), 2)
    temperature_report[f"repeated_{level}"] = repeated_share(sample, 8)
temperature_report["conclusion"] = ("as the temperature rises, distinct-2 rises and the share of repeated "
                                    "8-character sequences falls: a low temperature loops, a high one varies")
"""

    @property
    def wrong_answers(self):
        found = _diversity()
        right = [found[name] for name in _NAMES]
        good = "as the temperature rises, distinct-2 rises and repetition falls"
        swapped = right[3:] + right[:3]
        chars = [found["chars_low"], found["chars_mid"], found["chars_high"]] + right[3:]
        return (
            (_report(swapped, good), "distinct_low"),
            (_report(chars, good), "words"),
            (_report(right, "as the temperature rises, distinct-2 falls and repetition rises"), "conclusion"),
            (_report(right, "the temperature does not change distinct-2 or repetition much"), "conclusion"),
            (_report(right[:3] + [0.0, 0.0, 0.0], good), "repeated_low"),
            (_report(right[:3] + [found["rep4_low"], found["rep4_mid"], found["rep4_high"]], good), "8-character"),
            (_report(right, "higher"), "a few words"),
        )

    def check_answer(self, answer):
        report = asserts.findings(answer, "temperature_report", _NAMES)
        found = _diversity()
        for name in _NAMES:
            if abs(report[name] - found[name]) > 0.006:           # rounded to two decimals is fine
                level = name.split("_")[1]
                what = ("distinct_n(sample.split(), 2), the share of different word pairs" if name.startswith("d")
                        else "repeated_share(sample, 8), the share of 8-character sequences seen before")
                extra = ""
                if name.startswith("d") and abs(report[name] - found[f"chars_{level}"]) < 0.006:
                    extra = " (your number is distinct-2 of characters: split the sample into words first)"
                raise Incorrect(f"{name!r} is {report[name]:.4f}; with the statement's recipe (order 4 on the first "
                                f"200,000 training characters, prompt {PROMPT!r}, {LENGTH} characters at temperature "
                                f"{TEMPERATURES[level]}, seed 0) it is {what}{extra}")
        rises = found["distinct_high"] > found["distinct_low"]
        falls = found["repeated_high"] < found["repeated_low"]
        conclusion = report["conclusion"]
        distinct_said = _direction(conclusion, ("distinct", "divers", "varied", "variety"))
        repeat_said = _direction(conclusion, ("repeat", "repetit", "loop"))
        if distinct_said is None and repeat_said is None:
            raise Incorrect("the numbers are right; say in the conclusion which way distinct-2 and repetition go "
                            "as the temperature rises")
        if distinct_said is not None and (distinct_said in _RISES) != rises:
            raise Incorrect(f"the conclusion says distinct-2 {distinct_said} with the temperature, but your numbers "
                            f"go from {found['distinct_low']:.2f} to {found['distinct_high']:.2f}")
        if repeat_said is not None and (repeat_said in _RISES) == falls:
            raise Incorrect(f"the conclusion says repetition {repeat_said} with the temperature, but your numbers go "
                            f"from {found['repeated_low']:.2f} to {found['repeated_high']:.2f}")
        return (f"from temperature 0.5 to 1.5, distinct-2 goes {found['distinct_low']:.2f} -> "
                f"{found['distinct_high']:.2f} and repeated 8-character sequences {found['repeated_low']:.2f} -> "
                f"{found['repeated_high']:.2f}: the temperature trades the loops of a sharp distribution for the "
                "noise of a flat one.")


PROBLEMS = [NextTokenProbs, CausalBlock, DebugTargets, TemperatureDiversity]
