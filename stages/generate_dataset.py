"""Stage generate-dataset: render the training clips and write the held-out manifest."""

from t2v.atomic import output_set
from t2v.data.synthesize import heldout_manifest, write_dataset
from t2v.stage import run_stage


def main(cfg, args) -> str:
    with output_set() as out:  # the clips and the held-out manifest are replaced together or not at all
        data = write_dataset(cfg.data, cfg.seed, out.folder(args.dataset))
        out.json(args.heldout, heldout_manifest(cfg.data))
    return f"{len(data.prompts)} clips of {cfg.data.frames}x{cfg.data.size}x{cfg.data.size} -> {args.dataset}"


if __name__ == "__main__":
    run_stage("generate-dataset", main, dataset="data/dataset", heldout="data/heldout.json")
