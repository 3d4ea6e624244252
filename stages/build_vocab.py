"""Stage build-vocab: the sorted word list of the training prompts."""

import json
from pathlib import Path

from t2v.stage import run_stage
from t2v.vocab import build_vocab, save_vocab


def main(cfg, args) -> str:
    prompts_path = Path(args.dataset) / "prompts.json"
    words = build_vocab(json.loads(prompts_path.read_text()))
    save_vocab(words, args.out)
    return f"{len(words)} tokens -> {args.out}"


if __name__ == "__main__":
    run_stage("build-vocab", main, dataset="data/dataset", out="data/vocab.json")
