"""Stage train-judge: the learned judge, a video classifier trained on real clips of its own and frozen; it
fails, keeping the previous judge, where its test accuracy on any head is below the bar."""

from t2v.atomic import output_set
from t2v.classifier.checkpoint import save_judge
from t2v.classifier.training import check_fit, train_judge
from t2v.stage import run_stage
from t2v.train import heap


def main(cfg, args) -> str:
    heap.keep_freed_memory()  # a step's clip-sized buffers reused, not faulted in afresh: 5-10% faster
    model, report = train_judge(cfg.data, cfg.judge)
    check_fit(report["accuracy"], cfg.judge.min_accuracy)
    with output_set() as out:
        save_judge(model, report, args.model, into=out)
        out.json(args.report, report)
    accuracy = ", ".join(f"{head} {value:.4f}" for head, value in report["accuracy"].items())
    truth = report["ground_truth"]
    return (
        f"test accuracy {accuracy}; judge_acc on real clips {truth['judge_acc']:.4f}, swapped "
        f"{truth['swapped']:.4f}; trained in {report['train_time_s']:.0f}s -> {args.model}"
    )


if __name__ == "__main__":
    run_stage("train-judge", main, model="models/judge.pt", report="reports/judge.json")
