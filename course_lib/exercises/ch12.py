"""Chapter 12 exercises: a sampler's distribution (temperature, then top-p), a causal decoder block to a contract,
training pairs whose targets are not shifted, and temperature against the diversity of generated text."""

from __future__ import annotations

import functools
import re

import numpy as np

from course_lib.exercises import asserts, keras_checks
from course_lib.exercises.core import Incorrect, Problem, define, read_only
from course_lib.reference import softmax, top_p_filter

# ------------------------------------------------------------------------------------- q1 a sampler by hand

_LOGITS = (
    np.array([2.0, 0.5, 1.2, -1.0, 0.9, 3.1, -0.3, 0.0]),
    np.array([0.3, -2.0, 4.0, 1.1, 1.0, -0.5, 2.2, 0.7, -1.3, 0.05]),
    np.array([1.0, 1.4, 0.6, 0.2]),
)
_SETTINGS = ((1.0, 0.9), (0.5, 0.8), (2.0, 0.6), (1.0, 1.0), (0.7, 0.3))


def _softmax(z):
    return softmax(np.asarray(z, dtype=np.float64))


def _nucleus(probs, p, inclusive=False, ascending=False):
    """The wrong answers' top-p filters, unnormalised: the tokens before the one crossing ``p`` only
    (``inclusive``), or the least likely first (``ascending``)."""
    order = np.argsort(probs if ascending else -probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    keep_sorted = cumulative <= p if inclusive else cumulative - probs[order] < p
    keep = np.zeros(len(probs), dtype=bool)
    keep[order[keep_sorted]] = True
    return np.where(keep, probs, 0.0)


def _reference_probs(logits, temperature, top_p):
    return top_p_filter(_softmax(np.asarray(logits, dtype=np.float64) / temperature), top_p)


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


def _cumsum_reaches(logits, temperature, top_p):
    """Keeps tokens up to the first whose cumulative sum reaches top_p: never reached at top_p = 1.0 by rounding."""
    probs = _softmax(np.asarray(logits, dtype=np.float64) / temperature)
    order = np.argsort(-probs)
    keep = order[:np.argmax(np.cumsum(probs[order]) >= top_p) + 1]
    kept = np.zeros_like(probs)
    kept[keep] = probs[keep]
    return kept / kept.sum()


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
        (_cumsum_reaches, "rounding error"),
    )

    def check_answer(self, answer):
        for logits in _LOGITS:
            for temperature, top_p in _SETTINGS:
                what = f"next_token_probs(logits, temperature={temperature}, top_p={top_p})"
                given = logits.copy()
                result = asserts.call_with(answer, given, temperature, top_p, names=("logits",))
                got = asserts.array(result, what, shape=logits.shape)
                got = np.asarray(got, dtype=np.float64)
                if np.all(np.isnan(got)):
                    raise Incorrect(f"{what} returned only NaN: nothing was kept, and 0 / 0 is NaN. The nucleus "
                                    "always keeps the most likely token, and then every token while the ones before "
                                    "it (most likely first) sum to less than top_p")
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
        with np.errstate(all="ignore"):       # an answer that keeps no token divides 0 by 0 here
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
        at_one = np.asarray(asserts.call_with(answer, np.array(logits), 1.0, top_p), dtype=np.float64)
        right_at_one = at_one.shape == got.shape and np.allclose(at_one, _reference_probs(logits, 1.0, top_p),
                                                                 atol=1e-6)
        if temperature != 1 and right_at_one and np.array_equal(kept, untempered):
            raise Incorrect(f"{what} keeps tokens {np.flatnonzero(kept).tolist()}, the nucleus of the distribution "
                            f"before the temperature; choose it after the temperature (keep "
                            f"{np.flatnonzero(expected_kept).tolist()}), as keras-hub's TopPSampler does")
        mass = probs[kept].sum()
        if top_p == 1.0 and not kept.all():
            raise Incorrect(f"{what} keeps {int(kept.sum())} of {len(got)} tokens; with top_p = 1.0 every token "
                            "stays. A cumulative sum of probabilities ends a rounding error below 1, so a test "
                            "such as cumsum >= top_p may never be true: compare the mass of the tokens BEFORE each "
                            "one with < top_p")
        if kept.sum() < expected_kept.sum() and set(np.flatnonzero(kept)) <= set(np.flatnonzero(expected_kept)):
            raise Incorrect(f"{what} keeps {int(kept.sum())} token{'s' if kept.sum() != 1 else ''} whose "
                            f"probabilities sum to {mass:.3f}, less "
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


def _block(causal=True, attention=True, width=4, mask=None, pool=False, norms=True, post=False, residual=True):
    def causal_block(d_model, num_heads):
        import keras
        from keras import layers

        def add(x, h):
            if not residual:
                return h
            x = layers.Add()([x, h])
            return layers.LayerNormalization(epsilon=1e-5)(x) if post else x

        inputs = keras.Input(shape=(None, d_model))
        x = inputs
        if attention:
            h = layers.LayerNormalization(epsilon=1e-5)(x) if norms and not post else x
            mha = layers.MultiHeadAttention(num_heads, d_model // num_heads)
            if mask == "self":
                eye = layers.Lambda(lambda t: keras.ops.eye(keras.ops.shape(t)[1], dtype="bool")[None])(h)
                h = mha(h, h, attention_mask=eye)
            elif mask == "fixed":
                h = mha(h, h, attention_mask=np.tril(np.ones((1, BLOCK_TIME, BLOCK_TIME), dtype=bool)))
            else:
                h = mha(h, h, use_causal_mask=causal)
            x = add(x, h)
        h = layers.LayerNormalization(epsilon=1e-5)(x) if norms and not post else x
        h = layers.Dense(width * d_model, activation="relu")(h)
        x = add(x, layers.Dense(d_model)(h))
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


def _all_layers(model) -> list:
    """Every layer inside ``model``, nested models and layers written as classes included."""
    return list(model._flatten_layers(include_self=False, recursive=True))


def _first_lines(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if "Incompatible shapes" in line or "must be" in line]
    return "; ".join(dict.fromkeys(lines[:1] + useful[:1]))


def _zero_branches(model, x) -> np.ndarray:
    """The block's output on ``x`` with every weight but the layer normalisations' set to zero."""
    norms = {id(w) for layer in _all_layers(model) if "Normalization" in type(layer).__name__ for w in layer.weights}
    for weight in model.weights:
        if id(weight) not in norms:
            weight.assign(np.zeros(weight.shape, dtype=weight.dtype))
    return np.asarray(model(x, training=False))


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
        (_block(post=True), "not the sum after it"),
        (_block(residual=False), "no residual connections"),
        (_block(mask="fixed"), "fails on 7"),
    )

    def check_answer(self, answer):

        model = keras_checks.built_model(answer, D_MODEL, HEADS)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, BLOCK_TIME, D_MODEL)).astype("float32")
        before = keras_checks.output_shape(model, x, (2, BLOCK_TIME, D_MODEL), "the block's output")
        try:
            shorter = np.asarray(model(x[:, :7], training=False))
        except Exception as error:  # noqa: BLE001 - the learner's block fails on another length: say so
            raise Incorrect(f"the block works on {BLOCK_TIME} positions but fails on 7 ({_first_lines(error)}): it "
                            "must take any length. Let MultiHeadAttention build the mask from the input "
                            "(use_causal_mask=True) rather than a mask of fixed size") from None
        if shorter.shape != (2, 7, D_MODEL):
            raise Incorrect(f"on 7 positions the block returns shape {shorter.shape}, expected (2, 7, {D_MODEL})")
        kinds = {type(layer).__name__ for layer in _all_layers(model)}
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
        probe = keras_checks.built_model(answer, D_MODEL, HEADS)
        zeroed = _zero_branches(probe, x)
        if not np.allclose(zeroed, x, atol=1e-5):
            if np.allclose(zeroed, 0, atol=1e-5):
                raise Incorrect("with the weights of its attention and feed-forward layers set to zero, the block "
                                "returns zeros: nothing of its input gets through, so it has no residual "
                                "connections. Add each branch's output to what came into it (layers.Add)")
            raise Incorrect("with the weights of its attention and feed-forward layers set to zero, a pre-norm block "
                            "returns its input unchanged (each branch adds zero to it); yours changes it. Normalise "
                            "the input of each branch (LayerNormalization before the attention and before the "
                            "feed-forward network), not the sum after it, and add each branch to its input (with "
                            "keras-hub's TransformerDecoder: normalize_first=True)")
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


def _last_repeated(token_ids, context):
    """Targets x[:, 1:] with the window's last token repeated at the end."""
    x, _ = _pairs()(token_ids, context)
    return x, np.concatenate([x[:, 1:], x[:, -1:]], axis=1)


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
        keras.utils.set_random_seed(0)                 # the same model whatever ran before in this process
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
        "Run the check on the listing as it is. A training loss far below the 5-gram's 2 bits a character on "
        "English text means the answer was in the input. What must the model predict at position t of a window, "
        "and where is that token in ids?",
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
        (lambda ids, context: define(_BROKEN_PAIRS, "training_pairs", {"np": np})(ids, context),
         "a character in 150 steps"),
        (_pairs(shift=2), "two tokens"),
        (_pairs(shift=-1), "before"),
        (_pairs(roll=True), "wraps"),
        (_pairs(short=True), "shape"),
        (lambda ids, context: _pairs()(ids, context + 1), "(windows, 16)"),
        (_last_repeated, "follows the window in the text"),
        (lambda ids, context: tuple(part.astype("float32") for part in _pairs()(ids, context)), "integers"),
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
        if not (np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer)):
            raise Incorrect(f"x and y should hold token ids, integers; got dtypes {x.dtype} and {y.dtype}")
        if y.shape != x.shape:
            raise Incorrect(f"y should have the shape of x, {x.shape}: one target for every input position; got "
                            f"{y.shape}")
        if len(x) < len(ids) // PAIRS_CONTEXT - 2:
            raise Incorrect(f"{len(x)} window{'s' if len(x) != 1 else ''} from {len(ids)} tokens: cover the text "
                            f"(at least {len(ids) // PAIRS_CONTEXT - 2} windows of {PAIRS_CONTEXT})")
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
                shown = ("nothing but spaces" if not continuation.strip() else "one character over and over"
                         if len(set(continuation)) == 1 else repr(continuation))
                below = "under 1 bit" if broken / np.log(2) < 1 else f"{broken / np.log(2):.1f} bits"
                raise Incorrect(f"trained on pairs made this way, a small character model's training loss fell to "
                                f"{below} a character in 150 steps (the same model on pairs built correctly: about "
                                f"{fixed / np.log(2):.0f} bits; the 5-gram of section 2: about 2), "
                                f"and it then continues 'The acting was ' with {shown}. A loss that low on "
                                "English text means the answer is in the input. Compare y with x: what should "
                                "the target at each position be?")
            two_on = ids[start + 2:start + 2 + PAIRS_CONTEXT]
            if len(two_on) == PAIRS_CONTEXT and np.array_equal(targets, two_on):
                raise Incorrect(f"row {row}: each target is two tokens after its input; the model predicts the "
                                "next token, one position on")
            if start >= 1 and np.array_equal(targets, ids[start - 1:start - 1 + PAIRS_CONTEXT]):
                raise Incorrect(f"row {row}: each target is the token before its input, which the model has already "
                                "read; the target is the token after it")
            if np.array_equal(targets[:-1], following[:-1]):
                wrapped = " (np.roll wraps around)" if targets[-1] == inputs[0] else ""
                raise Incorrect(f"row {row}: every target is right but the last, {targets[-1]} instead of "
                                f"{following[-1]}: the last target is the token that follows the window in the "
                                f"text{wrapped}")
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


_UP = r"rises?|rising|increas\w*|grows?|growing|goes up|go up|climbs?|climbing|higher|highest|more|up"
_DOWN = (r"falls?|falling|decreas\w*|drops?|dropping|goes down|go down|declines?|declining|shrinks?|lower|lowest|"
         r"less|fewer|down")
_SAME = r"stays? the same|the same|unchanged|constant|flat|does not change|do not change"
_DIRECTION = re.compile(rf"\b(?P<same>{_SAME})\b|\b(?P<up>{_UP})\b|\b(?P<down>{_DOWN})\b")
_NEGATION = re.compile(r"\b(not|no|never|hardly)\s+(\w+\s+)?$")
_TEMPERATURE = r"(temperatures?|temp|t)"
_TEMPERATURE_DOWN = re.compile(rf"\b(lower(ing)?|decreas\w*|reduc\w*|smaller|colder|cooler)\s+(the\s+)?"
                               rf"{_TEMPERATURE}\b|"
                               rf"\b{_TEMPERATURE}\s+(falls|drops|decreases|goes down|is lowered|is lower)\b")
_TEMPERATURE_ANY = re.compile(rf"\b((higher|raising|raised|increasing|rising|larger|hotter|lower(ing)?|decreas\w*|"
                              rf"reduc\w*|smaller|colder|cooler)\s+)?(the\s+)?{_TEMPERATURE}\b(\s+(rises|increases|"
                              rf"grows|goes up|is raised|is higher|falls|drops|decreases|goes down|is lowered|"
                              rf"is lower))?")
_AT_EXTREME = re.compile(r"\b(?P<which>highest|lowest|most|least|largest|smallest)\s+(at|for|with)\s+(the\s+)?"
                         r"(t\s*=\s*|temperature\s*=?\s*)?(?P<where>0\.5|1\.5|low\w*|high\w*|small\w*|large\w*)"
                         r"(\s+temperatures?)?")


def _extreme(match) -> str:
    top = match.group("which") in ("highest", "most", "largest")
    hot = match.group("where").startswith(("1.5", "high", "large"))
    return " rises " if top == hot else " falls "


_MEASURES = {"distinct-2": ("distinct", "divers", "varied", "variety", "varie"),
             "repetition": ("repeat", "repetit", "loop")}


def read_directions(conclusion: str) -> dict:
    """Which way the conclusion says each measure goes as the temperature rises: ``{"distinct-2": "up" | "down" |
    "same" | None, "repetition": ...}``. A conclusion phrased with a falling temperature ("lower temperatures give
    ...") is read in reverse; a negated direction ("does not rise") as the other one."""
    text = " ".join(conclusion.lower().replace("n't", " not").split())
    text = _AT_EXTREME.sub(_extreme, text)          # "highest at t = 1.5" reads as "rises"
    reverse = bool(_TEMPERATURE_DOWN.search(text)) and not re.search(r"\b(higher|raising|hotter)\s+(the\s+)?"
                                                                    rf"{_TEMPERATURE}\b", text)
    text = _TEMPERATURE_ANY.sub(" ", text)
    clauses = re.split(r"[,;:.!?]|\band\b|\bbut\b|\bwhile\b|\bwhereas\b|\bas\b", text)
    said = {}
    for measure, words in _MEASURES.items():
        for clause in clauses:
            at = min((clause.find(w) for w in words if w in clause), default=-1)
            if at < 0:
                continue
            matches = list(_DIRECTION.finditer(clause))
            if not matches:
                continue
            after = [m for m in matches if m.start() > at]
            match = after[0] if after else matches[-1]
            direction = match.lastgroup
            if direction != "same" and _NEGATION.search(clause[:match.start()]):
                direction = "down" if direction == "up" else "up"
            if reverse and direction != "same":
                direction = "down" if direction == "up" else "up"
            said[measure] = direction
            break
        if "opposite" in text and measure not in said and said:
            other = next(iter(said.values()))
            said[measure] = {"up": "down", "down": "up"}.get(other, other)
        said.setdefault(measure, None)
    return said


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

(reviews, _), _, _ = load_imdb()         # the chapter's train_text[:200_000], built again: the same characters
first_reviews = "\\n".join(to_alphabet(review) for review in reviews[:400])
lm = KneserNeyLM(order=4).fit(first_reviews[:200_000])
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
            (_report(right, "as the temperature falls, distinct-2 rises and repetition falls"),
             "reads as: distinct-2 falls"),
            (_report(right, "higher temperatures make the text more varied"), "which way repetition goes"),
            (_report(right, "distinct-2 rises with the temperature but repetition stays the same"), "stays the same"),
            (_report([100 * v for v in right], good), "percentage"),
            (_report([right[0], right[2], right[1]] + right[3:], good), "temperature 1.5"),
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
                stat = name.split("_")[0]
                swapped = [other for other in TEMPERATURES if other != level
                           and abs(report[name] - found[f"{stat}_{other}"]) < 0.006]
                if abs(report[name] / 100 - found[name]) < 0.006:
                    extra = " (your number looks like a percentage: give the share, between 0 and 1)"
                elif swapped:
                    extra = (f" (your number is the one at temperature {TEMPERATURES[swapped[0]]}: check which "
                             "temperature each key holds)")
                elif name.startswith("d") and abs(report[name] - found[f"chars_{level}"]) < 0.006:
                    extra = " (your number is distinct-2 of characters: split the sample into words first)"
                raise Incorrect(f"{name!r} is {report[name]:.4f}; with the statement's recipe (order 4 on the first "
                                f"200,000 training characters, prompt {PROMPT!r}, {LENGTH} characters at temperature "
                                f"{TEMPERATURES[level]}, seed 0) it is {what}{extra}")
        actual = {"distinct-2": ("distinct_low", "distinct_high"), "repetition": ("repeated_low", "repeated_high")}
        said = read_directions(report["conclusion"])
        for measure, (low, high) in actual.items():
            goes = "up" if found[high] > found[low] + 0.01 else "down" if found[high] < found[low] - 0.01 else "same"
            numbers = f"your numbers go from {found[low]:.2f} at temperature 0.5 to {found[high]:.2f} at 1.5"
            if said[measure] is None:
                raise Incorrect(f"the numbers are right; say in the conclusion which way {measure} goes as the "
                                f"temperature rises (and the same for the other measure): {numbers}")
            if said[measure] != goes:
                claim = {"up": "rises", "down": "falls", "same": "stays the same"}[said[measure]]
                raise Incorrect(f"the conclusion reads as: {measure} {claim} as the temperature rises; but {numbers}")
        return (f"from temperature 0.5 to 1.5, distinct-2 goes {found['distinct_low']:.2f} -> "
                f"{found['distinct_high']:.2f} and repeated 8-character sequences {found['repeated_low']:.2f} -> "
                f"{found['repeated_high']:.2f}: the temperature trades the loops of a sharp distribution for the "
                "noise of a flat one.")


PROBLEMS = [NextTokenProbs, CausalBlock, DebugTargets, TemperatureDiversity]
