"""Stage generate-dataset: render the training clips and write the held-out manifest."""

from t2v.atomic import atomic_dir, write_json
from t2v.data.synthesize import heldout_manifest, write_dataset
from t2v.stage import run_stage


def main(cfg, args) -> str:
    with atomic_dir(args.dataset) as tmp:
        data = write_dataset(cfg.data, cfg.seed, tmp)
    write_json(args.heldout, heldout_manifest(cfg.data))
    return f"{len(data.prompts)} clips of {cfg.data.frames}x{cfg.data.size}x{cfg.data.size} -> {args.dataset}"


if __name__ == "__main__":
    run_stage("generate-dataset", main, dataset="data/dataset", heldout="data/heldout.json")
