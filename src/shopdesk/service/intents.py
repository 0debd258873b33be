"""What a buyer's chat message is about (意图识别): one of `INTENTS`, with a confidence, for reply suggestions.

The model is a multinomial logistic regression over the character 1-2 grams of the normalised message (NFKC, lower
case, whitespace collapsed, long digit runs such as order and tracking numbers replaced by one placeholder) plus
the runs of Latin letters and digits as whole tokens ("zp", "sf", "xl", "38"). Character 1-3 grams were measured
too and did worse on the held-out split (0.908 against 0.917 with about 3,000 messages: trigrams mostly memorise a
dataset this size). It is trained with AdaGrad on the labelled dataset the project writes and keeps
(`data/intents.jsonl`, JSON lines {"text", "intent"}; about 150 realistic buyer messages per intent) and ships as
JSON (`data/intent_model.json`, one feature per line, weights centred and pruned: about 350 KB).

Why not numpy/scikit-learn: they are not dependencies of ShopDesk and would be large ones for this. About a
hundred lines of pure Python train the model in a few seconds on one core, the model ships as plain JSON (no pickle
tied to a library version, readable and diffable), and classifying one message is a few dozen dictionary look-ups
(tens of thousands of messages per second), so `services.post_buyer_message` can classify every buyer message
inline.

Training is deterministic for a given seed (the row order of each epoch comes from `random.Random(seed)`, the
arithmetic is plain floats). `shopdesk service train` evaluates on a stratified held-out split (20% of each intent)
first and reports the accuracy, then trains the shipped model on ALL rows with the same settings (the held-out
number is the honest estimate; the shipped model has seen a fifth more examples).

Intents (names are stable: stored on messages and canned replies):
- greeting 招呼 (在吗, 你好) — only a greeting; "在吗 能便宜点吗" is a bargain;
- authenticity 正品吗; product_quality pre-sale questions on material and quality (面料是纯棉的吗);
- size_fit 尺码; stock 现货/补货; bargain asking for a lower price or a concession (便宜点, 包个邮呗);
- promotion the shop's current deals and policies (有活动吗, 包邮吗, 优惠券, 满减, 赠品);
- shipping_time 发货/到货时间; carrier 哪家快递, 发顺丰; cod 货到付款; address_change 改地址/收货人/电话;
- invoice 发票; tracking 查件, 物流不动; missing_item 少发、漏发、错发 (少货);
- quality_problem after-sale defects (收到的衣服开线了); return_exchange 退换货; refund 退款;
- complaint 投诉, 态度差; review 评价, 好评/差评; other everything else (花呗, 谢谢, 好的).

An empty or blank message is `Prediction("other", 1.0)`: there is certainly nothing to answer in it. `classify`
never raises: if the packaged model cannot be read it logs the error once and answers ("other", 0.0).
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

INTENTS = ("greeting", "authenticity", "product_quality", "size_fit", "stock", "bargain", "promotion",
           "shipping_time", "carrier", "cod", "address_change", "invoice", "tracking", "missing_item",
           "quality_problem", "return_exchange", "refund", "complaint", "review", "other")

DATA_DIR = Path(__file__).resolve().parent / "data"
DATASET_PATH = DATA_DIR / "intents.jsonl"
MODEL_PATH = DATA_DIR / "intent_model.json"
SEED = 20261123
EPOCHS = 15
LEARNING_RATE = 0.6
PRUNE_BELOW = 0.7
MAX_CHARS = 300  # a message is read up to here: the intent is in its first sentences, and it bounds the time
FORMAT = 1
NGRAMS = 2  # see the module docstring

_SPACES = re.compile(r"\s+")
_LONG_NUMBER = re.compile(r"[0-9a-z]*[0-9]{5,}[0-9a-z]*")
_TOKEN = re.compile(r"[a-z0-9.]+")


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, whitespace collapsed to one space, order and
    tracking numbers (five digits or more, with letters around them) replaced by "#"."""
    text = unicodedata.normalize("NFKC", str(text or ""))[:MAX_CHARS].lower()
    text = _SPACES.sub(" ", text).strip()
    return _LONG_NUMBER.sub("#", text)


def features(text: str, ngrams: int = NGRAMS) -> list[str]:
    """The features of a message: its character 1..`ngrams` grams (with ^ and $ marking the start and the end) and
    its Latin/digit tokens (prefixed "w:"). A feature counts once however often it occurs."""
    norm = normalise(text)
    if not norm:
        return []
    padded = f"^{norm}$"
    n = len(padded)
    out = {padded[i:i + k] for k in range(1, ngrams + 1) for i in range(n - k + 1)}
    out.discard("^")
    out.discard("$")
    out.discard(" ")
    for token in _TOKEN.findall(norm):
        out.add("w:" + token)
    return sorted(out)


@dataclass
class Model:
    """Weights per feature as sparse (intent index, weight) pairs, and one bias per intent."""

    intents: tuple[str, ...]
    bias: list[float]
    weights: dict[str, tuple[tuple[int, float], ...]]
    ngrams: int = NGRAMS
    meta: dict = field(default_factory=dict)

    def scores(self, text: str) -> list[float]:
        scores = list(self.bias)
        feats = features(text, self.ngrams)
        if feats:
            scale = 1.0 / math.sqrt(len(feats))
            weights = self.weights
            for f in feats:
                pairs = weights.get(f)
                if pairs:
                    for k, w in pairs:
                        scores[k] += w * scale
        return scores

    def probabilities(self, text: str) -> list[float]:
        return _softmax(self.scores(text))

    def predict(self, text: str) -> Prediction:
        if not normalise(text):
            return Prediction("other", 1.0)
        probs = self.probabilities(text)
        best = max(range(len(probs)), key=probs.__getitem__)
        return Prediction(self.intents[best], probs[best])

    def to_json(self) -> str:
        """JSON with one feature per line (so a retrained model diffs line by line in git)."""
        head = json.dumps({"format": FORMAT, "intents": list(self.intents), "ngrams": self.ngrams, "meta": self.meta,
                           "bias": [round(b, 3) for b in self.bias]}, ensure_ascii=False, separators=(",", ":"))
        lines = [json.dumps(f, ensure_ascii=False) + ":" + json.dumps([[k, round(w, 3)] for k, w in pairs],
                                                                      separators=(",", ":"))
                 for f, pairs in sorted(self.weights.items())]
        return head[:-1] + ',"weights":{\n' + ",\n".join(lines) + "\n}}"

    @classmethod
    def from_json(cls, text: str) -> Model:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown intent model format {data.get('format')!r}")
        return cls(intents=tuple(data["intents"]), bias=[float(b) for b in data["bias"]],
                   weights={f: tuple((int(k), float(w)) for k, w in pairs) for f, pairs in data["weights"].items()},
                   ngrams=int(data.get("ngrams", NGRAMS)), meta=data.get("meta", {}))


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


# --- dataset, split, training, evaluation ---------------------------------------------------------------------------


def load_dataset(path: str | Path | None = None) -> list[tuple[str, str]]:
    """(text, intent) rows of a JSON-lines dataset; blank lines are skipped; an unknown intent is an error."""
    rows = []
    source = Path(path) if path else DATASET_PATH
    with open(source, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text, intent = str(item["text"]), str(item["intent"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{source}:{number}: not a {{\"text\", \"intent\"}} line ({exc})") from None
            if intent not in INTENTS:
                raise ValueError(f"{source}:{number}: unknown intent {intent!r}")
            rows.append((text, intent))
    return rows


def split(rows: list[tuple[str, str]], held_out: float = 0.2, seed: int = SEED
          ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A deterministic stratified split: of each intent's rows, shuffled with the seed, the first `held_out` share
    (at least one when the intent has two rows or more) is held out."""
    by_intent: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        by_intent.setdefault(row[1], []).append(row)
    rng = random.Random(seed)  # noqa: S311 - a reproducible order, not a secret
    train_rows, test_rows = [], []
    for intent in sorted(by_intent):
        group = sorted(by_intent[intent])
        rng.shuffle(group)
        n = round(len(group) * held_out)
        if held_out > 0 and n == 0 and len(group) > 1:
            n = 1
        test_rows.extend(group[:n])
        train_rows.extend(group[n:])
    return train_rows, test_rows


def train(rows: list[tuple[str, str]], *, seed: int = SEED, epochs: int = EPOCHS,
          learning_rate: float = LEARNING_RATE, prune_below: float = PRUNE_BELOW, ngrams: int = NGRAMS) -> Model:
    """Multinomial logistic regression by AdaGrad over the rows, `epochs` passes in an order drawn from
    `random.Random(seed)`. For each row, the classes whose gradient is negligible (probability under 0.001 for a
    wrong class) are skipped: most of them after the first epoch, which keeps training fast.

    Then each feature's weights are moved by their median: the softmax ignores a constant added to every class's
    weight of one feature, so the probabilities do not change, but most weights land at zero (AdaGrad's first step
    has the same size for every class) and pruning the ones under `prune_below` drops them with little effect."""
    index = {name: k for k, name in enumerate(INTENTS)}
    n_classes = len(INTENTS)
    samples = []
    weights: dict[str, list[float]] = {}
    squares: dict[str, list[float]] = {}
    for text, intent in rows:
        feats = features(text, ngrams)
        if not feats:
            continue
        for f in feats:
            if f not in weights:
                weights[f] = [0.0] * n_classes
                squares[f] = [1e-8] * n_classes
        samples.append(([weights[f] for f in feats], [squares[f] for f in feats], 1.0 / math.sqrt(len(feats)),
                        index[intent]))
    bias = [0.0] * n_classes
    bias_squares = [1e-8] * n_classes
    rng = random.Random(seed)  # noqa: S311 - a reproducible order, not a secret
    order = list(range(len(samples)))
    for _epoch in range(epochs):
        rng.shuffle(order)
        for i in order:
            rows_w, rows_sq, scale, y = samples[i]
            scores = [b + scale * sum(column) for b, column in zip(bias, zip(*rows_w, strict=True), strict=True)]
            probs = _softmax(scores)
            probs[y] -= 1.0
            for k, g in enumerate(probs):
                if -1e-3 < g < 1e-3:
                    continue
                bias_squares[k] += g * g
                bias[k] -= learning_rate * g / math.sqrt(bias_squares[k])
                gx = g * scale
                g2 = gx * gx
                step = learning_rate * gx
                for w, sq in zip(rows_w, rows_sq, strict=True):
                    sq[k] += g2
                    w[k] -= step / math.sqrt(sq[k])
    sparse = {}
    for f, w in weights.items():
        centre = sorted(w)[n_classes // 2]
        pairs = tuple((k, round(v - centre, 3)) for k, v in enumerate(w) if abs(v - centre) >= prune_below)
        if pairs:
            sparse[f] = pairs
    return Model(intents=INTENTS, bias=[round(b, 3) for b in bias], weights=sparse, ngrams=ngrams,
                 meta={"seed": seed, "epochs": epochs, "learning_rate": learning_rate, "prune_below": prune_below,
                       "rows": len(rows)})


@dataclass
class Evaluation:
    accuracy: float
    per_intent: dict[str, tuple[int, int]]  # intent -> (right, total)
    confusions: list[tuple[str, str, str]]  # (text, expected, predicted) of the wrong answers

    def intent_accuracy(self, intent: str) -> float | None:
        right, total = self.per_intent.get(intent, (0, 0))
        return right / total if total else None


def evaluate(model: Model, rows: list[tuple[str, str]]) -> Evaluation:
    per_intent = {name: [0, 0] for name in INTENTS}
    confusions = []
    for text, intent in rows:
        predicted = model.predict(text).intent
        per_intent[intent][1] += 1
        if predicted == intent:
            per_intent[intent][0] += 1
        else:
            confusions.append((text, intent, predicted))
    total = sum(t for _r, t in per_intent.values())
    right = sum(r for r, _t in per_intent.values())
    return Evaluation(accuracy=right / total if total else 0.0,
                      per_intent={k: (r, t) for k, (r, t) in per_intent.items() if t},
                      confusions=confusions)


# --- the packaged model ---------------------------------------------------------------------------------------------

_lock = threading.Lock()
_model: Model | None = None
_load_failed = False


def packaged_model() -> Model:
    """The shipped model, read once per process (thread-safe)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model.from_json(MODEL_PATH.read_text(encoding="utf-8"))
    return _model


def reload_model() -> None:
    """Forget the loaded model (after `shopdesk service train` rewrote it in this process)."""
    global _model, _load_failed
    with _lock:
        _model, _load_failed = None, False


def classify(text: str) -> Prediction:
    """The intent of a buyer message and the model's probability for it. Never raises."""
    global _load_failed
    try:
        if not normalise(text):
            return Prediction("other", 1.0)
        if _load_failed and _model is None:
            return Prediction("other", 0.0)  # not read again for every message (reload_model() retries)
        return packaged_model().predict(text)
    except Exception:  # a broken model file must not stop buyer messages from being stored
        if not _load_failed:
            _load_failed = True
            log.exception("intent model unusable; buyer messages are classified as 'other'")
        return Prediction("other", 0.0)


# --- shopdesk service train -----------------------------------------------------------------------------------------


def train_command(args) -> int:
    """`shopdesk service train [--dataset PATH] [--output PATH]`: evaluate on the held-out split, then train on all
    rows and write the model (by default over the packaged one)."""
    dataset = getattr(args, "dataset", None)
    output = Path(getattr(args, "output", None) or MODEL_PATH)
    try:
        rows = load_dataset(dataset)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 2
    missing = [name for name in INTENTS if not any(intent == name for _t, intent in rows)]
    if missing:
        print(f"error: the dataset has no rows for {', '.join(missing)}")
        return 2
    train_rows, test_rows = split(rows)
    started = time.perf_counter()
    model = train(train_rows)
    seconds = time.perf_counter() - started
    result = evaluate(model, test_rows)
    print(f"dataset: {len(rows)} messages ({len(train_rows)} train, {len(test_rows)} held out)")
    print(f"training on the train split: {seconds:.2f} s")
    print(f"held-out accuracy: {result.accuracy:.3f}")
    for name in INTENTS:
        right, total = result.per_intent.get(name, (0, 0))
        print(f"  {name:<16} {right:>3}/{total:<3} {right / total if total else 0:.2f}")
    started = time.perf_counter()
    final = train(rows)
    final.meta["held_out_accuracy"] = round(result.accuracy, 4)
    final.meta["trained_on"] = "all rows"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(final.to_json() + "\n", encoding="utf-8")
    print(f"final model trained on all {len(rows)} messages in {time.perf_counter() - started:.2f} s, "
          f"{len(final.weights)} features, written to {output} ({output.stat().st_size // 1024} KB)")
    if output.resolve() == MODEL_PATH.resolve():
        reload_model()
    return 0
