"""The reply-suggestion model (意图识别, product.md §2.7): how fast it loads, trains and classifies.

`run(rows)` measures, in this process (one core, pure Python):
- model load: reading and parsing the packaged `data/intent_model.json` (median of 5), and its size;
- training: `intents.train` on the train split (with the held-out accuracy) and on all rows of the packaged
  dataset, as `shopdesk service train` does;
- classification: `intents.classify` on N messages (20,000 by default; `rows` when given, between 1,000 and
  100,000) drawn from the dataset with random perturbations (a greeting or 亲 in front, an order number, a dropped,
  doubled or swapped character, full-width digits, trailing punctuation), one at a time: p50/p95 microseconds per
  message and messages per second over the whole run; also the bargaining move for the messages read as bargain
  (`bargaining.parse_ask` + `next_move`, the part of `suggest()` that needs no database). The agreement of the
  perturbed messages with their labels is reported too, but they are near-copies of training rows: the honest
  accuracy is the held-out one.

`python bench/_service_suggest.py [N]` prints the report as JSON; the lead's bench/service.py calls `run`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from decimal import Decimal

DEFAULT_N = 20_000
AIM = "more than 5,000 messages/s on one core; model load and training in seconds"
_PREFIXES = ("亲 ", "在吗 ", "你好，", "老板 ", "亲，", "hi ", "请问")
_SUFFIXES = ("？", "?", "呀", "啊", " 谢谢", "!!", "。", "～", " 急")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def perturb(text: str, rng: random.Random) -> str:
    """A variant of a dataset message as buyers type it."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(8)
        if kind == 0:
            text = rng.choice(_PREFIXES) + text
        elif kind == 1:
            text = text + rng.choice(_SUFFIXES)
        elif kind == 2 and len(text) > 3:
            i = rng.randrange(len(text))
            text = text[:i] + text[i + 1:]
        elif kind == 3 and text:
            i = rng.randrange(len(text))
            text = text[:i] + text[i] + text[i:]
        elif kind == 4 and len(text) > 3:
            i = rng.randrange(len(text) - 1)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        elif kind == 5:
            text = f"订单{rng.randint(10**12, 10**13 - 1)} " + text
        elif kind == 6:
            text = text.translate(_FULL_WIDTH)
        else:
            text = text.replace(" ", "  ") + " "
    return text


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(rows: int | None = None) -> dict:
    from shopdesk.service import bargaining, intents

    n = DEFAULT_N if rows is None else max(1_000, min(int(rows), 100_000))
    rng = random.Random(20261123)  # noqa: S311 - a reproducible sample, not a secret

    size = intents.MODEL_PATH.stat().st_size
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        intents.Model.from_json(intents.MODEL_PATH.read_text(encoding="utf-8"))
        loads.append(time.perf_counter() - started)
    intents.reload_model()
    started = time.perf_counter()
    intents.classify("在吗")  # the first call loads the model (what a worker pays once)
    first_call = time.perf_counter() - started

    dataset = intents.load_dataset()
    train_rows, test_rows = intents.split(dataset)
    started = time.perf_counter()
    split_model = intents.train(train_rows)
    split_seconds = time.perf_counter() - started
    held_out = intents.evaluate(split_model, test_rows).accuracy
    started = time.perf_counter()
    intents.train(dataset)
    all_seconds = time.perf_counter() - started

    sample = [(perturb(text, rng), intent) for text, intent in (rng.choice(dataset) for _ in range(n))]
    latencies, agree, bargains = [], 0, 0
    clock = time.perf_counter_ns
    for text, intent in sample:
        started = clock()
        prediction = intents.classify(text)
        latencies.append((clock() - started) / 1000)
        agree += prediction.intent == intent
    started = time.perf_counter()
    for text, _intent in sample:
        intents.classify(text)
    per_second = n / (time.perf_counter() - started)
    moves = []
    for text, _intent in sample:
        started = clock()
        prediction = intents.classify(text)
        if prediction.intent == "bargain":
            bargaining.next_move(4, Decimal("5"), ask=bargaining.parse_ask(text))
            bargains += 1
        moves.append((clock() - started) / 1000)

    return {
        "messages": n,
        "model_kb": round(size / 1024),
        "model_features": len(intents.packaged_model().weights),
        "load_ms": round(statistics.median(loads) * 1000, 1),
        "first_classify_ms": round(first_call * 1000, 1),
        "dataset_rows": len(dataset),
        "train_split_seconds": round(split_seconds, 2),
        "train_all_seconds": round(all_seconds, 2),
        "held_out_accuracy": round(held_out, 3),
        "classify_p50_us": round(_percentile(latencies, 0.50), 1),
        "classify_p95_us": round(_percentile(latencies, 0.95), 1),
        "messages_per_second": round(per_second),
        "with_bargaining_p50_us": round(_percentile(moves, 0.50), 1),
        "with_bargaining_p95_us": round(_percentile(moves, 0.95), 1),
        "bargain_messages": bargains,
        "perturbed_agreement": round(agree / n, 3),
        "aim": AIM,
    }


def table(report: dict) -> str:
    r = report
    return (f"intent model {r['model_kb']} KB ({r['model_features']:,} features): load {r['load_ms']} ms (first "
            f"classify {r['first_classify_ms']} ms); training on {r['dataset_rows']:,} messages "
            f"{r['train_all_seconds']} s (train split {r['train_split_seconds']} s, held-out accuracy "
            f"{r['held_out_accuracy']}); classify {r['messages']:,} perturbed messages: p50 {r['classify_p50_us']} µs, "
            f"p95 {r['classify_p95_us']} µs, {r['messages_per_second']:,} messages/s on one core (with the bargaining "
            f"move: p50 {r['with_bargaining_p50_us']} µs, p95 {r['with_bargaining_p95_us']} µs); agreement with the "
            f"labels of the perturbed (seen) messages {r['perturbed_agreement']}. Aim: {r['aim']}.")


if __name__ == "__main__":
    import json

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "src"))
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else None), ensure_ascii=False, indent=2))
