"""Stage build-vocab: the sorted word list of the training prompts."""

from t2v.data.dataset import read_prompts
from t2v.data.vocab import build_vocab, save_vocab
from t2v.stage import run_stage


def main(cfg, args) -> str:
    words = build_vocab(read_prompts(args.prompts))
    save_vocab(words, args.vocab)
    return f"{len(words)} tokens -> {args.vocab}"


if __name__ == "__main__":
    run_stage("build-vocab", main, prompts="data/dataset/prompts.json", vocab="data/vocab.json")
