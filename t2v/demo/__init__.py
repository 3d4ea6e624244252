"""`t2v serve`: a local page to try the trained model (t2v.demo.app, on Gradio), answering with clips, their
ground truth and the judges' verdicts (t2v.demo.answer)."""
